// What an older generation still draining after an upgrade may write, put right by the periodic
// pass (settlement.hpp runs it in the first minutes after start, which outlast any drain):
//   - a request hash taken over card data (before migration 2): retired;
//   - a whole refund made the pre-migration-3 way, by status 'refunded' alone (no refunds row,
//     refunded_cents unchanged): the difference recorded as a refund by the owner, who alone
//     could refund then, and refunded_cents set to the amount, as migration 3 does;
//   - a 422 stored under its key (nothing charged or held, no items): deleted, freeing the key,
//     as migration 3 does.
#pragma once

#include <berth/storage.hpp>

namespace payment_detail {

inline void repair_old_writes(berth::database& db) {
    auto s = db.lease();
    berth::immediate_transaction tx(s);
    *s << "UPDATE payments SET request_hash = 'retired' WHERE request_hash NOT LIKE 'v2:%' AND request_hash <> 'retired'";
    *s << "INSERT INTO refunds(id, payment_id, amount_cents, subject) "
          "SELECT 'ref_' || lower(hex(randomblob(12))), id, amount_cents - refunded_cents, user_id FROM payments "
          "WHERE status = 'refunded' AND amount_cents > refunded_cents";
    *s << "UPDATE payments SET refunded_cents = amount_cents WHERE status = 'refunded' AND amount_cents > refunded_cents";
    *s << "DELETE FROM payments WHERE status = 'rejected' AND response_status = 422 "
          "AND NOT EXISTS (SELECT 1 FROM payment_items WHERE payment_id = payments.id)";
    tx.commit();
}

}  // namespace payment_detail
