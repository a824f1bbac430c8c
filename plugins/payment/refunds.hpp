// POST /v1/payments/{id}/refund: whole or partial refunds up to what remains, each recorded
// (table refunds), and optionally the payment's items put back in stock, once.
//
// Order of work: checked, then the stock returned (products' POST /v1/stock-returns, whose
// reference, the payment id, makes a repeat add nothing), then checked again and recorded in one
// BEGIN IMMEDIATE transaction, so two refunds at once never exceed the amount. A stock return
// that succeeded is recorded on the payment (restocked) even when the refund then loses the
// re-check; one before a failed write is repeated harmlessly by the next restock. Restocking is
// an operator's decision (payments:read): an owner could refund a cent and restock everything.
//
// An optional Idempotency-Key makes a retried refund safe: the first refund under a key (per
// payment and caller) is stored with the key and the keyed fingerprint of what was asked, and a
// retry with the same request gets the payment as it now is (Idempotent-Replayed: true) instead
// of a second refund; another request under the key is 409. Refusals store nothing. The key is
// looked up again inside the recording transaction, so two retries at once refund once. Only the
// key and fingerprint are stored, not the answer: a payment's answer lists all its refunds, so
// storing it per refund would grow with the square of their number. A payment takes at most
// max_refunds refunds, the last of them for all that remains.
#pragma once

#include "fingerprint.hpp"
#include "idempotency.hpp"
#include "refund_request.hpp"
#include "views.hpp"

#include <berth/plugin.hpp>
#include <berth/storage.hpp>

#include <string>

namespace payment_detail {

class refunder {
public:
    refunder(const berth::context& ctx, berth::database& db, const fingerprint_key& key, long long key_ttl_s)
        : ctx_(ctx), db_(db), key_(key), key_ttl_s_(key_ttl_s) {}

    berth::response refund(const berth::request& req) {
        const std::string id(req.param("id"));
        const auto owner = owner_filter(req);
        const std::string subject(req.subject());
        const refund_request asked = parse_refund(req);
        const auto key = read_key(req);
        const std::string fingerprint = key ? key_.of_refund(canonical(asked)) : std::string();
        if (asked.restock && !req.has_scope("payments:read"))
            throw berth::http_error(
                403, "Forbidden", "restocking is an operator's decision: it needs a payments:read token",
                {{"errors", {{{"in", "body"}, {"pointer", "/restock"}, {"message", "needs the payments:read scope"}}}}});
        nlohmann::json items;
        {
            auto s = db_.lease();
            auto p = find_payment(*s, id, owner);
            if (p && key)
                if (auto earlier = keyed(*s, id, subject, *key); earlier && !earlier->expired)
                    return again(*s, *earlier, fingerprint, *p);
            check(*s, p, id, asked);
            if (asked.restock) items = load_items(*s, id);
        }  // no lease and no writer lock held while products works
        if (asked.restock) return_stock(req, id, items);

        auto s = db_.lease();
        berth::immediate_transaction tx(s);
        auto p = find_payment(*s, id, owner);
        long long amount = 0;
        try {
            if (p && key) {
                if (auto earlier = keyed(*s, id, subject, *key)) {
                    // A retry that arrived at once: its twin committed first.
                    if (!earlier->expired) return again(*s, *earlier, fingerprint, *p);
                    free_refund_key(*s, earlier->id);
                }
            }
            amount = check(*s, p, id, asked);
        } catch (...) {
            if (asked.restock && p) {  // the stock is back though this refund lost: the payment says so
                *s << "UPDATE payments SET restocked = 1 WHERE id = :id", soci::use(id);
                tx.commit();
            }
            throw;
        }
        const std::string refund_id = new_id("ref_");
        const int restocked = asked.restock ? 1 : 0;
        soci::indicator reason_i = asked.reason ? soci::i_ok : soci::i_null;
        const std::string reason = asked.reason.value_or("");
        soci::indicator key_i = key ? soci::i_ok : soci::i_null;
        const std::string key_text = key.value_or("");
        *s << "INSERT INTO refunds(id, payment_id, amount_cents, restocked, reason, subject, idempotency_key, request_hash) "
              "VALUES(:r, :p, :a, :k, :why, :who, :key, :hash)",
            soci::use(refund_id), soci::use(id), soci::use(amount), soci::use(restocked), soci::use(reason, reason_i),
            soci::use(subject), soci::use(key_text, key_i), soci::use(fingerprint, key_i);
        *s << "UPDATE payments SET refunded_cents = refunded_cents + :a, restocked = MAX(restocked, :k), "
              "status = CASE WHEN refunded_cents + :a2 >= amount_cents THEN 'refunded' ELSE status END WHERE id = :id",
            soci::use(amount), soci::use(restocked), soci::use(amount), soci::use(id);
        p = find_payment(*s, id, owner);
        auto answer = berth::response::json(200, to_json(*s, *p));
        tx.commit();
        return answer;
    }

private:
    // At most this many refunds per payment (each answer lists them all); the last refunds all that remains.
    static constexpr long long max_refunds = 100;

    // A refund stored under a key, the fingerprint of what was asked, and whether the key has
    // outlived idempotency_ttl_s (then it no longer counts, and is freed before it is reused).
    struct keyed_refund {
        std::string id, hash;
        bool expired = false;
    };

    // What a refund asked for, in one form: no body and {} are the same request.
    static nlohmann::json canonical(const refund_request& asked) {
        nlohmann::json j = {{"amount_cents", nullptr}, {"restock", asked.restock}, {"reason", nullptr}};
        if (asked.amount) j["amount_cents"] = *asked.amount;
        if (asked.reason) j["reason"] = *asked.reason;
        return j;
    }

    // The refund stored under this payment, caller and key, if any.
    std::optional<keyed_refund> keyed(soci::session& s, const std::string& id, const std::string& subject,
                                      const std::string& key) const {
        keyed_refund k;
        double age_s = 0;
        s << "SELECT id, request_hash, (julianday('now') - julianday(created_at)) * 86400.0 FROM refunds "
             "WHERE payment_id = :p AND subject = :s AND idempotency_key = :k",
            soci::into(k.id), soci::into(k.hash), soci::into(age_s), soci::use(id), soci::use(subject), soci::use(key);
        if (!s.got_data()) return std::nullopt;
        k.expired = age_s >= static_cast<double>(key_ttl_s_);
        return k;
    }

    // An expired key given up by its refund, which stays (the periodic sweep does the same).
    static void free_refund_key(soci::session& s, const std::string& refund_id) {
        s << "UPDATE refunds SET idempotency_key = NULL, request_hash = NULL WHERE id = :r", soci::use(refund_id);
    }

    // A retry of the refund first made under this key: the payment as it now is (it lists that
    // refund), marked as a replay; 409 for another request under the key.
    static berth::response again(soci::session& s, const keyed_refund& earlier, const std::string& fingerprint,
                                 const payment_row& p) {
        if (!fingerprint_key::same(earlier.hash, fingerprint))
            throw berth::http_error(409, "Idempotency-Key reused",
                                    "this Idempotency-Key was used for another refund of this payment (" + earlier.id + ")",
                                    {{"refund_id", earlier.id}});
        return replayed(berth::response::json(200, to_json(s, p)));
    }

    // The amount to refund, or a refusal (thrown).
    static long long check(soci::session& s, const std::optional<payment_row>& p, const std::string& id,
                           const refund_request& asked) {
        // Someone else's payment and no payment look the same: 404.
        if (!p) throw berth::http_error(404, "No such payment", "payment " + id + " does not exist");
        if (p->status == "refunded" || (p->status == "captured" && p->remaining() <= 0))
            throw berth::http_error(409, "Already refunded", "payment " + id + " was refunded in full already");
        if (p->status != "captured") throw berth::http_error(409, "Not refundable", "payment " + id + " is " + p->status);
        const long long remaining = p->remaining();
        const long long amount = asked.amount.value_or(remaining);
        if (amount > remaining)
            throw berth::http_error(
                422, "Amount too large",
                "at most " + std::to_string(remaining) + " cents of payment " + id + " remain to be refunded",
                {{"remaining_cents", remaining},
                 {"errors", {{{"in", "body"}, {"pointer", "/amount_cents"}, {"message", "more than remains"}}}}});
        if (asked.restock && p->restocked)
            throw berth::http_error(409, "Already restocked", "the items of payment " + id + " were put back in stock already");
        long long made = 0;
        s << "SELECT COUNT(*) FROM refunds WHERE payment_id = :p", soci::into(made), soci::use(id);
        if (made >= max_refunds - 1 && amount < remaining)
            throw berth::http_error(409, "Too many refunds",
                                    "payment " + id + " has " + std::to_string(made) + " refunds; the last one a payment takes "
                                    "refunds all that remains (" + std::to_string(remaining) + " cents)",
                                    {{"remaining_cents", remaining}});
        return amount;
    }

    // Puts the payment's items back in stock (products; idempotent by the payment id).
    void return_stock(const berth::request& req, const std::string& id, const nlohmann::json& items) {
        nlohmann::json lines = nlohmann::json::array();
        for (auto& i : items) lines.push_back({{"product_id", i["product_id"]}, {"quantity", i["quantity"]}});
        int status = 0;
        try {
            status = ctx_.call("products", "POST", "/v1/stock-returns", {{"reference", id}, {"items", lines}},
                               req.request_id())
                         .status;
        } catch (const std::exception& e) {
            ctx_.log(berth::log_level::error, "stock return for " + id + " failed: " + e.what());
        }
        if (status == 200 || status == 201) return;
        if (status) ctx_.log(berth::log_level::error, "stock return for " + id + ": products answered " + std::to_string(status));
        throw berth::http_error(503, "Products unavailable", "the stock could not be put back; nothing was refunded; retry");
    }

    const berth::context& ctx_;
    berth::database& db_;
    const fingerprint_key& key_;
    long long key_ttl_s_;
};

}  // namespace payment_detail
