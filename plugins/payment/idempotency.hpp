// Idempotency-Keys: the header read the same way for checkouts and refunds, how long a key
// holds its result, and how a result is answered again. A checkout key older than
// idempotency_ttl_s is fresh: its row keeps the payment but gives up the key (set to
// "expired:<payment id>", a prefix no client key may have), on the next use of the key or by the
// periodic sweep. The sweep also frees refund keys (set to NULL; refunds.hpp frees one on use).
#pragma once

#include "records.hpp"

#include <berth/plugin.hpp>
#include <berth/storage.hpp>

#include <optional>
#include <string>
#include <string_view>

namespace payment_detail {

// Freed checkout keys become this prefix and the payment id; a client key may not start with it
// (it could then take the very value a freed key needs, and stop every sweep pass).
inline constexpr std::string_view freed_key_prefix = "expired:";

// The Idempotency-Key header, if sent: 1 to 255 bytes, not starting with "expired:"; else 400
// naming the header.
inline std::optional<std::string> read_key(const berth::request& req) {
    auto key = req.header("Idempotency-Key");
    if (!key) return std::nullopt;
    auto refuse = [](const std::string& why) {
        return berth::http_error(400, "Bad Idempotency-Key", "an Idempotency-Key has " + why,
                                 {{"errors", {{{"in", "header"}, {"pointer", "/Idempotency-Key"}, {"message", why}}}}});
    };
    if (key->empty() || key->size() > 255) throw refuse("1 to 255 bytes");
    if (key->starts_with(freed_key_prefix)) throw refuse("a first part other than \"expired:\" (it marks freed keys)");
    return std::string(*key);
}

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

// The periodic sweep: frees up to 1000 expired checkout keys and 1000 refund keys per pass (the
// next pass takes the rest). A refund keeps its row; only its key and fingerprint go.
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
        *s << "UPDATE refunds SET idempotency_key = NULL, request_hash = NULL WHERE id IN "
              "(SELECT id FROM refunds WHERE idempotency_key IS NOT NULL "
              "AND created_at <= strftime('%Y-%m-%dT%H:%M:%fZ', 'now', :age) LIMIT 1000)",
            soci::use(age);
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

// An answer given again for a retried key, marked as such.
inline berth::response replayed(berth::response r) {
    r.header("Idempotent-Replayed", "true");
    return r;
}

// A stored checkout result given again.
inline berth::response replay(const record& r) { return replayed(answer(outcome{r.response_status, r.response_body}, r.id)); }

}  // namespace payment_detail
