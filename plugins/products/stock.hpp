// Stock changes that are not sales: an operator's adjustment with a reason (and the list of
// them), and stock returned by payment's refunds, once per reference.
#pragma once

#include "page_cursor.hpp"
#include "model.hpp"
#include "schemas.hpp"

#include <map>
#include <string>

namespace products_detail {

namespace cursor = berth::shop::page_cursor;

class stock {
public:
    explicit stock(store& st) : st_(st) {}

    void declare(berth::router& r) {
        r.post("/v1/products/{id}/adjust-stock", [this](const berth::request& req) { return adjust(req); })
            .summary("Adds or removes stock with a reason (a count, damage, a correction); recorded")
            .operation_id("adjustStock")
            .tags({"stock"})
            .auth({"catalog:write"})
            .schema(schemas::adjustment_request())
            .responds(200, berth::ref("Product"), "Adjusted; the ETag header names the new version")
            .responds_problem(404, no_such_product)
            .responds_problem(409, "Not enough stock: the free stock would go below zero")
            .responds_problem(412, stale_tag)
            .responds_problem(503, database_busy);
        r.get("/v1/products/{id}/stock-adjustments", [this](const berth::request& req) { return adjustments(req); })
            .summary("A product's stock adjustments (and restocks and returns), newest first")
            .operation_id("listStockAdjustments")
            .tags({"stock"})
            .auth({"catalog:write"})
            .query(schemas::page_query())
            .responds(200, berth::ref("StockAdjustmentPage"), "A page; next_cursor is null on the last page")
            .responds_problem(400, "Bad cursor: not one this listing gave")
            .responds_problem(404, no_such_product)
            .responds_problem(503, database_busy);
        // For payment's refunds (not published).
        r.post("/v1/stock-returns", [this](const berth::request& req) { return give_back(req); })
            .summary("Puts sold items back in stock, once per reference")
            .operation_id("returnStock")
            .tags({"stock"})
            .callers({"payment"})
            .schema(schemas::stock_return_request())
            .responds(201, schemas::stock_return(), "Returned to stock (also to a discontinued product)")
            .responds(200, schemas::stock_return(), "This reference was returned already: the first answer, nothing added")
            .responds_problem(422, "Unknown product")
            .responds_problem(503, database_busy);
        r.get("/v1/stock-returns/{reference}", [this](const berth::request& req) { return show_return(req); })
            .summary("A stock return, by its reference")
            .operation_id("getStockReturn")
            .tags({"stock"})
            .callers({"payment"})
            .responds(200, schemas::stock_return(), "The return")
            .responds_problem(404, "No such stock return")
            .responds_problem(503, database_busy);
    }

private:
    // Free stock never goes below zero: held units are already subtracted from it.
    berth::response adjust(const berth::request& req) {
        const long long delta = req.json()["delta"].get<long long>();
        const std::string reason = required_text(req.json(), "reason");
        const std::string subject(req.subject());
        return edit(st_, req, [&](soci::session& s, product& p) {
            if (p.stock + delta < 0)
                throw berth::http_error(409, "Not enough stock",
                                        "product " + std::to_string(p.id) + " has " + std::to_string(p.stock) +
                                            " free in stock; cannot take away " + std::to_string(-delta));
            s << "UPDATE products SET stock = stock + :d WHERE id = :id", soci::use(delta), soci::use(p.id);
            record_adjustment(s, p.id, delta, reason, subject);
        });
    }

    berth::response adjustments(const berth::request& req) {
        const long long id = req.id_param("id", "product");
        const long long limit = req.query("limit") ? std::stoll(std::string(*req.query("limit"))) : 20;
        long long before = 0;  // 0: from the newest
        if (auto c = req.query("cursor")) before = cursor::id_at(cursor::decode(*c, "adjustments", 2), 1);
        const long long fetch = limit + 1;
        auto s = st_.db->lease();
        must_load(*s, id);
        long long adjustment = 0, delta = 0;
        std::string reason, subject, created_at;
        soci::statement st = (s->prepare << "SELECT id, delta, reason, subject, created_at FROM stock_adjustments "
                                            "WHERE product_id = :p AND (:b1 = 0 OR id < :b2) ORDER BY id DESC LIMIT :lim",
                              soci::into(adjustment), soci::into(delta), soci::into(reason), soci::into(subject),
                              soci::into(created_at), soci::use(id), soci::use(before), soci::use(before), soci::use(fetch));
        st.execute();
        nlohmann::json items = nlohmann::json::array();
        long long last = 0;
        bool more = false;
        while (st.fetch()) {
            if (static_cast<long long>(items.size()) == limit) {
                more = true;
                break;
            }
            items.push_back({{"adjustment_id", adjustment}, {"delta", delta}, {"reason", reason}, {"subject", subject},
                             {"created_at", created_at}});
            last = adjustment;
        }
        nlohmann::json next = more ? nlohmann::json(cursor::encode(nlohmann::json::array({"adjustments", last}))) : nullptr;
        return berth::response::json(200, {{"items", items}, {"next_cursor", next}});
    }

    // Idempotent by reference: the first call adds the stock and stores its answer; a later
    // one with the same reference answers that, 200, and adds nothing.
    berth::response give_back(const berth::request& req) {
        const std::string reference = req.json()["reference"].get<std::string>();
        std::map<long long, long long> returned;  // product -> quantity, duplicates merged
        for (auto& item : req.json()["items"]) returned[item["product_id"].get<long long>()] += item["quantity"].get<long long>();
        auto s = st_.db->lease();
        berth::immediate_transaction tx(s);
        std::string stored;
        *s << "SELECT answer FROM stock_returns WHERE reference = :r", soci::into(stored), soci::use(reference);
        if (s->got_data()) return berth::response::json(200, nlohmann::json::parse(stored));
        nlohmann::json items = nlohmann::json::array();
        const std::string reason = "Returned: " + reference;
        const std::string caller(req.caller());
        for (auto& [product_id, quantity] : returned) {
            product p;
            if (!load(*s, product_id, p))
                throw berth::http_error(422, "Unknown product", "product " + std::to_string(product_id) + " does not exist");
            *s << "UPDATE products SET stock = stock + :q WHERE id = :id", soci::use(quantity), soci::use(product_id);
            record_adjustment(*s, product_id, quantity, reason, caller);
            items.push_back({{"product_id", product_id}, {"quantity", quantity}});
        }
        const nlohmann::json answer = {{"reference", reference}, {"items", items}};
        const std::string text = answer.dump();
        *s << "INSERT INTO stock_returns(reference, answer) VALUES(:r, :a)", soci::use(reference), soci::use(text);
        tx.commit();
        return berth::response::created("/v1/stock-returns/" + reference, answer);
    }

    berth::response show_return(const berth::request& req) {
        const std::string reference(req.param("reference"));
        auto s = st_.db->lease();
        std::string stored;
        *s << "SELECT answer FROM stock_returns WHERE reference = :r", soci::into(stored), soci::use(reference);
        if (!s->got_data()) throw berth::http_error(404, "No such stock return", "no stock return has this reference");
        return berth::response::json(200, nlohmann::json::parse(stored));
    }

    store& st_;
};

}  // namespace products_detail
