// GET /v1/payments: the caller's payments, newest first (created_at, then id), a page at a time.
// The cursor is opaque to clients: base64url of "<created_at>|<payment id>" of the page's last row.
#pragma once

#include "views.hpp"

#include <berth/plugin.hpp>
#include <berth/storage.hpp>

#include <sodium.h>

#include <regex>
#include <string>
#include <vector>

namespace payment_detail {

struct page_key {
    std::string created, id;
};

inline std::string encode_cursor(const page_key& k) {
    const std::string raw = k.created + "|" + k.id;
    std::string out(sodium_base64_ENCODED_LEN(raw.size(), sodium_base64_VARIANT_URLSAFE_NO_PADDING), '\0');
    sodium_bin2base64(out.data(), out.size(), reinterpret_cast<const unsigned char*>(raw.data()), raw.size(),
                      sodium_base64_VARIANT_URLSAFE_NO_PADDING);
    out.resize(out.find('\0'));
    return out;
}

inline page_key decode_cursor(std::string_view text) {
    const auto bad = [] { return berth::http_error(400, "Bad cursor", "the cursor is not one this list gave; start again without it"); };
    std::string raw(text.size(), '\0');
    std::size_t len = 0;
    if (sodium_base642bin(reinterpret_cast<unsigned char*>(raw.data()), raw.size(), text.data(), text.size(), nullptr, &len,
                          nullptr, sodium_base64_VARIANT_URLSAFE_NO_PADDING) != 0)
        throw bad();
    raw.resize(len);
    static const std::regex shape(R"(^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z)\|(pay_[0-9a-f]{24})$)");
    std::smatch m;
    if (!std::regex_match(raw, m, shape)) throw bad();
    return {m[1], m[2]};
}

// Whose payments: the caller's own; with payments:read everyone's, or user_id's when given.
inline std::string listed_owner(const berth::request& req) {
    std::string owner = owner_filter(req);
    if (auto wanted = req.query("user_id")) {
        if (owner.empty()) return std::string(*wanted);
        if (*wanted != owner)
            throw berth::http_error(403, "Forbidden", "listing another user's payments needs the payments:read scope");
    }
    return owner;
}

inline berth::response list_payments(berth::database& db, const berth::request& req) {
    const std::string owner = listed_owner(req);
    const std::string status(req.query("status").value_or(""));
    const auto limit_text = req.query("limit");
    const long long limit = limit_text ? std::stoll(std::string(*limit_text)) : 20;  // the query schema bounds it
    std::optional<page_key> after;
    if (auto c = req.query("cursor")) after = decode_cursor(*c);

    std::string where = std::string(" WHERE ") + visible_statuses;
    if (!status.empty()) where += " AND status = :st";
    if (!owner.empty()) where += " AND user_id = :u";
    if (after) where += " AND (created_at < :c OR (created_at = :c2 AND id < :i))";
    const long long fetch = limit + 1;

    auto s = db.lease();
    std::vector<payment_row> rows;
    payment_row row;
    soci::statement st(*s);
    row.bind(st);
    if (!status.empty()) st.exchange(soci::use(status));
    if (!owner.empty()) st.exchange(soci::use(owner));
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
