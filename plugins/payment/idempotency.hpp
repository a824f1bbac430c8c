// How long an Idempotency-Key holds its result, and how a stored result is answered again.
// A key older than idempotency_ttl_s is fresh: its row keeps the payment but gives up the key
// (set to "expired:<payment id>"), on the next use of the key or by the periodic sweep.
#pragma once

#include "records.hpp"
#include "refunds.hpp"

#include <berth/plugin.hpp>
#include <berth/storage.hpp>

#include <string>

namespace payment_detail {

// A finished row (a pending one is settled first) whose key has outlived the ttl.
inline bool key_expired(const record& r, long long ttl_s) {
    return r.found && r.status != "pending" && r.age_s >= static_cast<double>(ttl_s);
}

// Frees one row's key; the caller holds the write transaction. A refusal stored under it
// (status 'rejected': nothing was charged) was only the key's record, so it goes.
inline void free_key(soci::session& s, const std::string& id) {
    s << "DELETE FROM payments WHERE id = :id AND status = 'rejected' "
           "AND NOT EXISTS (SELECT 1 FROM payment_items WHERE payment_id = :id2)",
        soci::use(id), soci::use(id);
    s << "UPDATE payments SET idempotency_key = 'expired:' || id WHERE id = :id", soci::use(id);
}

// The periodic sweep: frees up to 1000 expired keys per pass (the next pass takes the rest).
inline void expire_keys(const berth::context& ctx, berth::database& db, long long ttl_s) {
    try {
        const std::string age = "-" + std::to_string(ttl_s) + " seconds";
        auto s = db.lease();
        berth::immediate_transaction tx(s);
        // The filter inside the limit: rows that must stay would otherwise fill every pass's thousand.
        *s << "DELETE FROM payments WHERE id IN (SELECT p.id FROM payments p WHERE p.status = 'rejected' "
              "AND p.created_at <= strftime('%Y-%m-%dT%H:%M:%fZ', 'now', :age) "
              "AND NOT EXISTS (SELECT 1 FROM payment_items i WHERE i.payment_id = p.id) LIMIT 1000)",
            soci::use(age);
        *s << "UPDATE payments SET idempotency_key = 'expired:' || id WHERE id IN (SELECT id FROM payments "
              "WHERE created_at <= strftime('%Y-%m-%dT%H:%M:%fZ', 'now', :age) AND status <> 'pending' "
              "AND idempotency_key NOT LIKE 'expired:%' LIMIT 1000)",
            soci::use(age);
        refunder::expire_keys(*s, age);
        tx.commit();
    } catch (const std::exception& e) {
        ctx.log(berth::log_level::warn, std::string("expiring idempotency keys failed: ") + e.what());
    }
}

// A result as first given: a 201 says where the payment is.
inline berth::response answer(const outcome& o, const std::string& id) {
    auto r = o.response();
    if (o.status == 201) r.header("Location", "/v1/payments/" + id);
    return r;
}

// A stored result given again, marked as such.
inline berth::response replay(const record& r) {
    auto a = answer(outcome{r.response_status, r.response_body}, r.id);
    a.header("Idempotent-Replayed", "true");
    return a;
}

}  // namespace payment_detail
