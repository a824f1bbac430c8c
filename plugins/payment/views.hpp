// A payment as its clients see it (one payment, a page of them, a refund's answer): what was
// charged, what was refunded and when, and whether the stock was put back.
#pragma once

#include "records.hpp"

#include <berth/plugin.hpp>
#include <berth/storage.hpp>

#include <optional>
#include <string>

namespace payment_detail {

// Rows in these states are payments; 'pending' and 'rejected' are only idempotency records.
inline constexpr const char* visible_statuses = "status IN ('captured', 'declined', 'refunded')";
// The columns payment_row::bind takes, in its order.
inline constexpr const char* payment_columns =
    "id, user_id, status, amount_cents, currency, card_last4, created_at, refunded_cents, restocked";

struct payment_row {
    std::string id, user, status, currency, last4, created;
    long long amount = 0, refunded = 0;
    int restocked = 0;
    soci::indicator amount_i = soci::i_null, currency_i = soci::i_null, last4_i = soci::i_null;

    // Binds the payment_columns of a SELECT to this row.
    void bind(soci::statement& st) {
        st.exchange(soci::into(id));
        st.exchange(soci::into(user));
        st.exchange(soci::into(status));
        st.exchange(soci::into(amount, amount_i));
        st.exchange(soci::into(currency, currency_i));
        st.exchange(soci::into(last4, last4_i));
        st.exchange(soci::into(created));
        st.exchange(soci::into(refunded));
        st.exchange(soci::into(restocked));
    }
    long long remaining() const { return (amount_i == soci::i_ok ? amount : 0) - refunded; }
};

// The refunds of a payment, oldest first.
inline nlohmann::json load_refunds(soci::session& s, const std::string& id) {
    nlohmann::json out = nlohmann::json::array();
    std::string refund_id, reason, created;
    long long amount = 0;
    int restocked = 0;
    soci::indicator reason_i = soci::i_null;
    soci::statement st = (s.prepare << "SELECT id, amount_cents, restocked, reason, created_at FROM refunds "
                                       "WHERE payment_id = :p ORDER BY created_at, id",
                          soci::into(refund_id), soci::into(amount), soci::into(restocked), soci::into(reason, reason_i),
                          soci::into(created), soci::use(id));
    st.execute();
    while (st.fetch()) {
        nlohmann::json r = {{"refund_id", refund_id},
                            {"amount_cents", amount},
                            {"restocked", restocked != 0},
                            {"created_at", created}};
        r["reason"] = reason_i == soci::i_ok ? nlohmann::json(reason) : nlohmann::json(nullptr);
        out.push_back(std::move(r));
    }
    return out;
}

inline nlohmann::json to_json(soci::session& s, const payment_row& p) {
    return {{"payment_id", p.id},
            {"user_id", p.user},
            {"status", p.status},
            {"amount_cents", p.amount_i == soci::i_ok ? p.amount : 0},
            {"currency", p.currency_i == soci::i_ok ? p.currency : ""},
            {"items", load_items(s, p.id)},
            {"card_last4", p.last4_i == soci::i_ok ? p.last4 : ""},
            {"created_at", p.created},
            {"refunded_cents", p.refunded},
            {"restocked", p.restocked != 0},
            {"refunds", load_refunds(s, p.id)}};
}

// The payment `id` if `owner` made it, or any payment when there is no owner (payments:read).
inline std::optional<payment_row> find_payment(soci::session& s, const std::string& id,
                                               const std::optional<std::string>& owner) {
    payment_row p;
    soci::statement st(s);
    p.bind(st);
    st.exchange(soci::use(id));
    if (owner) st.exchange(soci::use(*owner));
    st.alloc();
    st.prepare(std::string("SELECT ") + payment_columns + " FROM payments WHERE id = :id AND " + visible_statuses +
               (owner ? " AND user_id = :o" : ""));
    st.define_and_bind();
    if (!st.execute(true)) return std::nullopt;
    return p;
}

// Whose payments the caller may see: everyone's with payments:read (nullopt), else only their own.
inline std::optional<std::string> owner_filter(const berth::request& req) {
    if (req.has_scope("payments:read")) return std::nullopt;
    return std::string(req.subject());
}

}  // namespace payment_detail
