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
// payment and caller) stores the keyed fingerprint of what was asked and the answer given, and a
// retry with the same request gets that answer again (Idempotent-Replayed: true) instead of a
// second refund; another request under the key is 409. Refusals store nothing. The key is looked
// up again inside the recording transaction, so two retries at once refund once.
#pragma once

#include "fingerprint.hpp"
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
        const auto key = idempotency_key(req);
        const std::string fingerprint = key ? key_.hmac_hex(canonical(asked)) : std::string();
        if (asked.restock && !req.has_scope("payments:read"))
            throw berth::http_error(
                403, "Forbidden", "restocking is an operator's decision: it needs a payments:read token",
                {{"errors", {{{"in", "body"}, {"pointer", "/restock"}, {"message", "needs the payments:read scope"}}}}});
        nlohmann::json items;
        {
            auto s = db_.lease();
            auto p = find_payment(*s, id, owner);
            if (p && key)
                if (auto earlier = keyed(*s, id, subject, *key)) return again(*earlier, fingerprint);
            check(p, id, asked);
            if (asked.restock) items = load_items(*s, id);
        }  // no lease and no writer lock held while products works
        if (asked.restock) return_stock(req, id, items);

        auto s = db_.lease();
        berth::immediate_transaction tx(s);
        auto p = find_payment(*s, id, owner);
        if (p && key) {
            if (auto earlier = keyed(*s, id, subject, *key)) return again(*earlier, fingerprint);  // a retry at once
            free_expired_key(*s, id, subject, *key);
        }
        long long amount = 0;
        try {
            amount = check(p, id, asked);
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
        if (key) *s << "UPDATE refunds SET response_body = :b WHERE id = :r", soci::use(answer.body), soci::use(refund_id);
        tx.commit();
        return answer;
    }

    // Frees refund keys older than the ttl (up to 1000 a pass); the caller's sweep logs a failure.
    static void expire_keys(soci::session& s, const std::string& age) {
        s << "UPDATE refunds SET idempotency_key = NULL, request_hash = NULL, response_body = NULL WHERE id IN "
             "(SELECT id FROM refunds WHERE idempotency_key IS NOT NULL "
             "AND created_at <= strftime('%Y-%m-%dT%H:%M:%fZ', 'now', :age) LIMIT 1000)",
            soci::use(age);
    }

private:
    // A refund stored under a key: what was asked (fingerprint) and what was answered.
    struct keyed_refund {
        std::string id, hash, body;
    };

    // The Idempotency-Key, if the caller sent one: 1 to 255 characters, as for a checkout.
    static std::optional<std::string> idempotency_key(const berth::request& req) {
        auto key = req.header("Idempotency-Key");
        if (!key) return std::nullopt;
        if (key->empty() || key->size() > 255)
            throw berth::http_error(400, "Bad Idempotency-Key", "an Idempotency-Key has 1 to 255 characters",
                                    {{"errors", {{{"in", "header"}, {"name", "Idempotency-Key"}, {"message", "1 to 255 characters"}}}}});
        return std::string(*key);
    }

    // What a refund asked for, in one form: no body and {} are the same request.
    static std::string canonical(const refund_request& asked) {
        nlohmann::json j = {{"amount_cents", nullptr}, {"restock", asked.restock}, {"reason", nullptr}};
        if (asked.amount) j["amount_cents"] = *asked.amount;
        if (asked.reason) j["reason"] = *asked.reason;
        return "refund:" + j.dump();
    }

    // The refund stored under this payment, caller and key, unless its key has outlived the ttl.
    std::optional<keyed_refund> keyed(soci::session& s, const std::string& id, const std::string& subject,
                                      const std::string& key) const {
        keyed_refund k;
        soci::indicator body_i = soci::i_null;
        double age_s = 0;
        s << "SELECT id, request_hash, response_body, (julianday('now') - julianday(created_at)) * 86400.0 FROM refunds "
             "WHERE payment_id = :p AND subject = :s AND idempotency_key = :k",
            soci::into(k.id), soci::into(k.hash), soci::into(k.body, body_i), soci::into(age_s), soci::use(id),
            soci::use(subject), soci::use(key);
        if (!s.got_data() || body_i != soci::i_ok || age_s >= static_cast<double>(key_ttl_s_)) return std::nullopt;
        return k;
    }

    // A key past its ttl: the refund stays, the key is given up (also by the periodic sweep).
    static void free_expired_key(soci::session& s, const std::string& id, const std::string& subject,
                                 const std::string& key) {
        s << "UPDATE refunds SET idempotency_key = NULL, request_hash = NULL, response_body = NULL "
             "WHERE payment_id = :p AND subject = :s AND idempotency_key = :k",
            soci::use(id), soci::use(subject), soci::use(key);
    }

    // The answer given to the refund first made under this key, or 409 for another request.
    static berth::response again(const keyed_refund& earlier, const std::string& fingerprint) {
        if (!fingerprint_key::same(earlier.hash, fingerprint))
            throw berth::http_error(409, "Idempotency-Key reused",
                                    "this Idempotency-Key was used for another refund of this payment (" + earlier.id + ")",
                                    {{"refund_id", earlier.id}});
        auto r = berth::response::text(200, earlier.body, "application/json");
        r.header("Idempotent-Replayed", "true");
        return r;
    }

    // The amount to refund, or a refusal (thrown).
    static long long check(const std::optional<payment_row>& p, const std::string& id, const refund_request& asked) {
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
