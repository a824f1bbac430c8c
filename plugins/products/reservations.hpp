// Stock reservations: payment holds stock, then commits or releases it; a hold expires after
// reservation_ttl_s; operators list reservations and cancel a held one by hand.
#pragma once

#include "page_cursor.hpp"
#include "model.hpp"
#include "schemas.hpp"

#include <map>
#include <string>

namespace products_detail {

namespace cursor = berth::shop::page_cursor;

class reservations {
public:
    explicit reservations(store& st) : st_(st) {}

    void declare(berth::router& r) {
        // For the payment module only (not published, so no components of their own).
        r.post("/v1/reservations", [this](const berth::request& req) { return reserve(req); })
            .summary("Holds stock for a list of items, all or nothing")
            .operation_id("reserveStock")
            .tags({"stock"})
            .callers({"payment"})
            .schema(schemas::reservation_request())
            .responds(201, schemas::reservation_held(), "Held, with each item's price and currency now (duplicates merged)")
            .responds_problem(409, "Not enough stock for an item")
            .responds_problem(422, "Unknown or discontinued product")
            .responds_problem(503, database_busy);
        r.get("/v1/reservations/{id}", [this](const berth::request& req) { return state(req); })
            .summary("A reservation's state (held, committed or released), for settling a checkout")
            .operation_id("getReservation")
            .tags({"stock"})
            .callers({"payment"})
            .responds(200, schemas::reservation_state(), "Its state")
            .responds_problem(404, no_such_reservation)
            .responds_problem(503, database_busy);
        r.post("/v1/reservations/{id}/commit", [this](const berth::request& req) { return settle(req, "committed"); })
            .summary("Makes a hold final (the goods are sold)")
            .operation_id("commitReservation")
            .tags({"stock"})
            .callers({"payment"})
            .responds(200, schemas::reservation_state(), "Committed (again: the same answer)")
            .responds_problem(404, no_such_reservation)
            .responds_problem(409, "Reservation settled: it was released (or expired) already")
            .responds_problem(503, database_busy);
        r.post("/v1/reservations/{id}/release", [this](const berth::request& req) { return settle(req, "released"); })
            .summary("Gives held stock back")
            .operation_id("releaseReservation")
            .tags({"stock"})
            .callers({"payment"})
            .responds(200, schemas::reservation_state(), "Released, the stock given back (again: the same answer)")
            .responds_problem(404, no_such_reservation)
            .responds_problem(409, "Reservation settled: it was committed already")
            .responds_problem(503, database_busy);

        // For operators.
        r.get("/v1/reservations", [this](const berth::request& req) { return list(req); })
            .summary("Reservations, newest first, optionally in one state, a page at a time")
            .operation_id("listReservations")
            .tags({"stock"})
            .auth({"catalog:write"})
            .query(schemas::reservation_query())
            .responds(200, berth::ref("ReservationPage"), "A page; next_cursor is null on the last page")
            .responds_problem(400, "Bad cursor: not one this listing gave")
            .responds_problem(503, database_busy);
        r.post("/v1/reservations/{id}/cancel", [this](const berth::request& req) { return cancel(req); })
            .summary("Releases a held reservation by hand, giving its stock back")
            .operation_id("cancelReservation")
            .tags({"stock"})
            .auth({"catalog:write"})
            .responds(200, schemas::reservation_state(), "Released (again: the same answer); a checkout holding it gets 409 Checkout expired")
            .responds_problem(404, no_such_reservation)
            .responds_problem(409, "Reservation settled: it was committed (sold) already")
            .responds_problem(503, database_busy);
    }

    // Releases every expired hold: the periodic half of expiry, for stock nobody is trying to buy.
    void sweep() {
        try {
            auto s = st_.db->lease();
            berth::immediate_transaction tx(s);
            int released = expire(*s);
            tx.commit();
            if (released > 0)
                st_.ctx->log(berth::log_level::info, std::to_string(released) + " expired reservation(s) released");
        } catch (const std::exception& e) {
            st_.ctx->log(berth::log_level::warn, std::string("reservation sweep failed: ") + e.what());
        }
    }

private:
    // All or nothing, in one BEGIN IMMEDIATE transaction: concurrent reservations serialise
    // on the database's write lock, so stock can never be sold twice.
    berth::response reserve(const berth::request& req) {
        std::map<long long, long long> wanted;  // product -> quantity, duplicates merged
        for (auto& item : req.json()["items"]) wanted[item["product_id"].get<long long>()] += item["quantity"].get<long long>();
        const std::string id = random_id();
        nlohmann::json items = nlohmann::json::array();
        auto s = st_.db->lease();
        berth::immediate_transaction tx(s);
        expire(*s);  // lazily: stock held past its time is sellable again
        *s << "INSERT INTO reservations(id, state) VALUES(:id, 'held')", soci::use(id);
        for (auto& [product_id, quantity] : wanted) {
            product p;
            if (!load(*s, product_id, p))
                throw berth::http_error(422, "Unknown product", "product " + std::to_string(product_id) + " does not exist");
            if (p.status != "active")
                throw berth::http_error(422, "Discontinued product", "product " + std::to_string(product_id) + " is discontinued");
            if (p.stock < quantity)
                throw berth::http_error(409, "Not enough stock",
                                        "product " + std::to_string(product_id) + " has " + std::to_string(p.stock) +
                                            " in stock, " + std::to_string(quantity) + " wanted");
            *s << "UPDATE products SET stock = stock - :q WHERE id = :id", soci::use(quantity), soci::use(product_id);
            *s << "INSERT INTO reservation_items(reservation_id, product_id, quantity, unit_price_cents, currency) "
                  "VALUES(:r, :p, :q, :u, :c)",
                soci::use(id), soci::use(product_id), soci::use(quantity), soci::use(p.price_cents), soci::use(p.currency);
            items.push_back({{"product_id", product_id},
                             {"quantity", quantity},
                             {"unit_price_cents", p.price_cents},
                             {"currency", p.currency}});
        }
        tx.commit();
        return berth::response::created("/v1/reservations/" + id, {{"reservation_id", id}, {"state", "held"}, {"items", items}});
    }

    // held -> committed, or held -> released (stock given back). Repeating the same move is
    // harmless; the other move after one is refused. `moved`, when given, says whether this call made the move.
    berth::response settle(const berth::request& req, const std::string& to, bool* moved = nullptr) {
        const std::string id(req.param("id"));
        auto s = st_.db->lease();
        berth::immediate_transaction tx(s);
        std::string state;
        *s << "SELECT state FROM reservations WHERE id = :id", soci::into(state), soci::use(id);
        if (!s->got_data()) throw berth::http_error(404, "No such reservation", "no reservation has this id");
        if (state == to) return berth::response::json(200, {{"reservation_id", id}, {"state", state}});
        if (state != "held")
            throw berth::http_error(409, "Reservation settled", "reservation " + id + " is already " + state);
        if (to == "released") {
            *s << "UPDATE products SET stock = stock + (SELECT quantity FROM reservation_items ri "
                  "WHERE ri.reservation_id = :r AND ri.product_id = products.id) "
                  "WHERE id IN (SELECT product_id FROM reservation_items WHERE reservation_id = :r2)",
                soci::use(id), soci::use(id);
        }
        *s << "UPDATE reservations SET state = :s WHERE id = :id", soci::use(to), soci::use(id);
        tx.commit();
        if (moved) *moved = true;
        return berth::response::json(200, {{"reservation_id", id}, {"state", to}});
    }

    berth::response cancel(const berth::request& req) {
        bool moved = false;
        auto answer = settle(req, "released", &moved);
        if (moved)  // a repeat, or one released already by expiry or payment, changed nothing: no line
            st_.ctx->log(berth::log_level::info,
                         "reservation " + std::string(req.param("id")) + " released by hand by " + std::string(req.subject()));
        return answer;
    }

    berth::response state(const berth::request& req) {
        const std::string id(req.param("id"));
        auto s = st_.db->lease();
        std::string state;
        *s << "SELECT state FROM reservations WHERE id = :id", soci::into(state), soci::use(id);
        if (!s->got_data()) throw berth::http_error(404, "No such reservation", "no reservation has this id");
        return berth::response::json(200, {{"reservation_id", id}, {"state", state}});
    }

    // Newest first by (created_at, id); the cursor holds the last row's pair.
    berth::response list(const berth::request& req) {
        const std::string wanted(req.query("state").value_or(""));
        const long long limit = req.query("limit") ? std::stoll(std::string(*req.query("limit"))) : 20;
        std::string after_time, after_id;
        if (auto c = req.query("cursor")) {
            auto j = cursor::decode(*c, "reservations", 3);
            if (!j[1].is_string() || !j[2].is_string()) cursor::bad();
            after_time = j[1].get<std::string>();
            after_id = j[2].get<std::string>();
        }
        const long long fetch = limit + 1;
        auto s = st_.db->lease();
        std::string id, state, created_at;
        soci::statement st =
            (s->prepare << "SELECT id, state, created_at FROM reservations WHERE (:s1 = '' OR state = :s2)"
                           " AND (:c1 = '' OR created_at < :c2 OR (created_at = :c3 AND id < :c4))"
                           " ORDER BY created_at DESC, id DESC LIMIT :lim",
             soci::into(id), soci::into(state), soci::into(created_at), soci::use(wanted), soci::use(wanted),
             soci::use(after_time), soci::use(after_time), soci::use(after_time), soci::use(after_id), soci::use(fetch));
        st.execute();
        nlohmann::json items = nlohmann::json::array();
        bool more = false;
        while (st.fetch()) {
            if (static_cast<long long>(items.size()) == limit) {
                more = true;
                break;
            }
            items.push_back({{"reservation_id", id}, {"state", state}, {"created_at", created_at}});
        }
        for (auto& r : items) r["items"] = lines(*s, r["reservation_id"].get<std::string>());
        nlohmann::json next = nullptr;
        if (more) {
            auto& last = items.back();
            next = cursor::encode(nlohmann::json::array({"reservations", last["created_at"], last["reservation_id"]}));
        }
        return berth::response::json(200, {{"items", items}, {"next_cursor", next}});
    }

    static nlohmann::json lines(soci::session& s, const std::string& reservation) {
        nlohmann::json out = nlohmann::json::array();
        long long product = 0, quantity = 0;
        soci::statement st = (s.prepare << "SELECT product_id, quantity FROM reservation_items WHERE reservation_id = :r "
                                           "ORDER BY product_id",
                              soci::into(product), soci::into(quantity), soci::use(reservation));
        st.execute();
        while (st.fetch()) out.push_back({{"product_id", product}, {"quantity", quantity}});
        return out;
    }

    // Releases every reservation held longer than the TTL, inside the caller's BEGIN IMMEDIATE
    // transaction: held -> released and the stock given back happen together, exactly once
    // (commit and release check the state in a transaction of their own, so they see the result).
    int expire(soci::session& s) {
        const std::string age = "-" + std::to_string(st_.ttl_s) + " seconds";
        std::string cutoff;  // computed once: both statements must pick the same reservations
        s << "SELECT strftime('%Y-%m-%dT%H:%M:%fZ', 'now', :age)", soci::into(cutoff), soci::use(age);
        auto stale = [](const char* name) {  // SQLite binds a repeated name once: each use gets its own
            return std::string("SELECT id FROM reservations WHERE state = 'held' AND created_at < :") + name;
        };
        s << "UPDATE products SET stock = stock + (SELECT SUM(ri.quantity) FROM reservation_items ri "
             "WHERE ri.product_id = products.id AND ri.reservation_id IN (" + stale("c1") + ")) "
             "WHERE id IN (SELECT product_id FROM reservation_items WHERE reservation_id IN (" + stale("c2") + "))",
            soci::use(cutoff), soci::use(cutoff);
        s << "UPDATE reservations SET state = 'released' WHERE state = 'held' AND created_at < :cutoff", soci::use(cutoff);
        int released = 0;
        s << "SELECT changes()", soci::into(released);
        return released;
    }

    store& st_;
};

}  // namespace products_detail
