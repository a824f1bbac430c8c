// GET /v1/payments: the caller's payments, newest first (created_at, then id), a page at a time.
// The cursor is opaque to clients (page_cursor.hpp): ["payments", created_at, payment id] of the page's last row.
#pragma once

#include "page_cursor.hpp"
#include "views.hpp"

#include <berth/plugin.hpp>
#include <berth/storage.hpp>

#include <optional>
#include <regex>
#include <string>
#include <vector>

namespace payment_detail {

struct page_key {
    std::string created, id;
};

inline std::string encode_cursor(const page_key& k) {
    return berth::shop::page_cursor::encode(nlohmann::json::array({"payments", k.created, k.id}));
}

inline page_key decode_cursor(std::string_view text) {
    namespace cursor = berth::shop::page_cursor;
    const auto j = cursor::decode(text, "payments", 3);
    page_key k{cursor::text_at(j, 1), cursor::text_at(j, 2)};
    static const std::regex created(R"(^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$)"), id(R"(^pay_[0-9a-f]{24}$)");
    if (!std::regex_match(k.created, created) || !std::regex_match(k.id, id)) cursor::bad();
    return k;
}

// Whose payments: the caller's own; with payments:read everyone's, or user_id's when given.
inline std::optional<std::string> listed_owner(const berth::request& req) {
    auto owner = owner_filter(req);
    if (auto wanted = req.query("user_id")) {
        if (!owner) return std::string(*wanted);
        if (*wanted != *owner)
            throw berth::http_error(403, "Forbidden", "listing another user's payments needs the payments:read scope");
    }
    return owner;
}

inline berth::response list_payments(berth::database& db, const berth::request& req) {
    const auto owner = listed_owner(req);
    const std::string status(req.query("status").value_or(""));
    const auto limit_text = req.query("limit");
    const long long limit = limit_text ? std::stoll(std::string(*limit_text)) : 20;  // the query schema bounds it
    std::optional<page_key> after;
    if (auto c = req.query("cursor")) after = decode_cursor(*c);

    std::string where = std::string(" WHERE ") + visible_statuses;
    if (!status.empty()) where += " AND status = :st";
    if (owner) where += " AND user_id = :u";
    if (after) where += " AND (created_at < :c OR (created_at = :c2 AND id < :i))";
    const long long fetch = limit + 1;

    auto s = db.lease();
    std::vector<payment_row> rows;
    payment_row row;
    soci::statement st(*s);
    row.bind(st);
    if (!status.empty()) st.exchange(soci::use(status));
    if (owner) st.exchange(soci::use(*owner));
    if (after) {
        st.exchange(soci::use(after->created));
        st.exchange(soci::use(after->created));
        st.exchange(soci::use(after->id));
    }
    st.exchange(soci::use(fetch));
    st.alloc();
    st.prepare(std::string("SELECT ") + payment_columns + " FROM payments" + where +
               " ORDER BY created_at DESC, id DESC LIMIT :n");
    st.define_and_bind();
    st.execute(false);
    while (st.fetch()) rows.push_back(row);

    nlohmann::json next = nullptr;
    if (static_cast<long long>(rows.size()) > limit) {
        rows.resize(limit);
        next = encode_cursor({rows.back().created, rows.back().id});
    }
    nlohmann::json items = nlohmann::json::array();
    for (auto& p : rows) items.push_back(to_json(*s, p));
    return berth::response::json(200, {{"items", std::move(items)}, {"next_cursor", std::move(next)}});
}

}  // namespace payment_detail
