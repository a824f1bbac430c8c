// The payment database's schema, in order. Migrations only append: SQLite cannot change a
// CHECK, so a partially refunded payment stays 'captured' and the refunded amount is a column.
#pragma once

#include <berth/storage.hpp>

#include <vector>

namespace payment_detail {

inline std::vector<berth::migration> migrations() {
    return {
        {1,
         "create payments",
         {// One row per (user, Idempotency-Key): the idempotency record and, once charged, the payment.
          "CREATE TABLE payments ("
          " id TEXT PRIMARY KEY,"
          " user_id TEXT NOT NULL,"
          " idempotency_key TEXT NOT NULL,"
          " request_hash TEXT NOT NULL,"
          " status TEXT NOT NULL CHECK (status IN ('pending', 'captured', 'declined', 'refunded', 'rejected')),"
          " amount_cents INTEGER,"
          " currency TEXT,"
          " card_last4 TEXT,"
          " reservation_id TEXT,"
          " response_status INTEGER,"
          " response_body TEXT,"
          " created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')),"
          " UNIQUE (user_id, idempotency_key))",
          "CREATE TABLE payment_items ("
          " payment_id TEXT NOT NULL REFERENCES payments(id),"
          " product_id INTEGER NOT NULL,"
          " quantity INTEGER NOT NULL,"
          " unit_price_cents INTEGER NOT NULL,"
          " PRIMARY KEY (payment_id, product_id))"}},
        {2,
         "retire request hashes taken over card data; index pending payments",
         {// sha256 of a body that held the card: the one copy must go (see docs/shop.md for replays).
          "UPDATE payments SET request_hash = 'retired' WHERE request_hash NOT LIKE 'v2:%'",
          "CREATE INDEX payments_status_age ON payments(status, created_at)"}},
        {3,
         "partial refunds, restock, listing; 422 refusals no longer hold their key",
         {"ALTER TABLE payments ADD COLUMN refunded_cents INTEGER NOT NULL DEFAULT 0",
          "ALTER TABLE payments ADD COLUMN restocked INTEGER NOT NULL DEFAULT 0",
          "CREATE TABLE refunds ("
          " id TEXT PRIMARY KEY,"
          " payment_id TEXT NOT NULL REFERENCES payments(id),"
          " amount_cents INTEGER NOT NULL CHECK (amount_cents > 0),"
          " restocked INTEGER NOT NULL DEFAULT 0,"
          " reason TEXT,"
          " subject TEXT NOT NULL,"
          " created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')))",
          "CREATE INDEX refunds_payment ON refunds(payment_id, created_at)",
          // Earlier refunds were whole and only their owner could ask: recorded as such, dated now
          // (when they happened was not kept).
          "INSERT INTO refunds(id, payment_id, amount_cents, subject) "
          "SELECT 'ref_' || lower(hex(randomblob(12))), id, amount_cents, user_id FROM payments "
          "WHERE status = 'refunded' AND amount_cents > 0",
          "UPDATE payments SET refunded_cents = amount_cents WHERE status = 'refunded'",
          // A 422 was stored under its key before; the rule now is that it frees the key.
          // Nothing was charged or held for them (no items), so the rows go.
          "DELETE FROM payments WHERE status = 'rejected' AND response_status = 422 "
          "AND id NOT IN (SELECT payment_id FROM payment_items)",
          "CREATE INDEX payments_user_newest ON payments(user_id, created_at, id)",
          "CREATE INDEX payments_newest ON payments(created_at, id)",
          // The expiry sweep's scan: only keys not yet expired, so a pass never rereads old payments.
          "CREATE INDEX payments_live_keys ON payments(created_at) WHERE idempotency_key NOT LIKE 'expired:%'"}},
        {4,
         "refunds keyed by an optional Idempotency-Key",
         {// A refund made with a key keeps the key and the keyed fingerprint of what was asked,
          // until idempotency_ttl_s frees both. One key per payment and caller.
          "ALTER TABLE refunds ADD COLUMN idempotency_key TEXT",
          "ALTER TABLE refunds ADD COLUMN request_hash TEXT",
          "CREATE UNIQUE INDEX refunds_key ON refunds(payment_id, subject, idempotency_key) "
          "WHERE idempotency_key IS NOT NULL",
          // Client keys may no longer start with "expired:", the form of a freed key: one such
          // key could hold the value another payment's freed key needs. Any already stored are
          // retired as freed (a retry with one now gets 400).
          "UPDATE payments SET idempotency_key = 'expired:' || id "
          "WHERE idempotency_key LIKE 'expired:%' AND idempotency_key <> 'expired:' || id"}},
    };
}

}  // namespace payment_detail
