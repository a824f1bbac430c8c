// POST /v1/payments/{id}/refund: whole or partial refunds up to what remains, each recorded
// (table refunds), and optionally the payment's items put back in stock, once.
//
// Order of work: checked, then the stock returned (products' POST /v1/stock-returns, whose
// reference, the payment id, makes a repeat add nothing), then checked again and recorded in one
// BEGIN IMMEDIATE transaction, so two refunds at once never exceed the amount. A stock return
// that succeeded is recorded on the payment (restocked) even when the refund then loses the
// re-check; one before a failed write is repeated harmlessly by the next restock. Restocking is
// an operator's decision (payments:read): an owner could refund a cent and restock everything.
#pragma once

#include "refund_request.hpp"
#include "views.hpp"

#include <berth/plugin.hpp>
#include <berth/storage.hpp>

#include <string>

namespace payment_detail {

class refunder {
public:
    refunder(const berth::context& ctx, berth::database& db) : ctx_(ctx), db_(db) {}

    berth::response refund(const berth::request& req) {
        const std::string id(req.param("id"));
        const auto owner = owner_filter(req);
        const refund_request asked = parse_refund(req);
        if (asked.restock && !req.has_scope("payments:read"))
            throw berth::http_error(
                403, "Forbidden", "restocking is an operator's decision: it needs a payments:read token",
                {{"errors", {{{"in", "body"}, {"pointer", "/restock"}, {"message", "needs the payments:read scope"}}}}});
        nlohmann::json items;
        {
            auto s = db_.lease();
            check(find_payment(*s, id, owner), id, asked);
            if (asked.restock) items = load_items(*s, id);
        }  // no lease and no writer lock held while products works
        if (asked.restock) return_stock(req, id, items);

        auto s = db_.lease();
        berth::immediate_transaction tx(s);
        auto p = find_payment(*s, id, owner);
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
        const std::string subject(req.subject());
        const int restocked = asked.restock ? 1 : 0;
        soci::indicator reason_i = asked.reason ? soci::i_ok : soci::i_null;
        const std::string reason = asked.reason.value_or("");
        *s << "INSERT INTO refunds(id, payment_id, amount_cents, restocked, reason, subject) "
              "VALUES(:r, :p, :a, :k, :why, :who)",
            soci::use(refund_id), soci::use(id), soci::use(amount), soci::use(restocked), soci::use(reason, reason_i),
            soci::use(subject);
        *s << "UPDATE payments SET refunded_cents = refunded_cents + :a, restocked = MAX(restocked, :k), "
              "status = CASE WHEN refunded_cents + :a2 >= amount_cents THEN 'refunded' ELSE status END WHERE id = :id",
            soci::use(amount), soci::use(restocked), soci::use(amount), soci::use(id);
        p = find_payment(*s, id, owner);
        nlohmann::json answer = to_json(*s, *p);
        tx.commit();
        return berth::response::json(200, answer);
    }

private:
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
};

}  // namespace payment_detail
