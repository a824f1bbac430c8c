// products: the catalogue and its stock. Owns var/products.db: products, reservations,
// reservation_items. Asks categories (through the host) whether a category exists; payment
// asks it to reserve, commit and release stock.
#include <berth/periodic.hpp>
#include <berth/plugin.hpp>
#include <berth/storage.hpp>

#include "schemas.hpp"

#include <sodium.h>

#include <map>

namespace {

using namespace products_detail;

std::vector<berth::migration> migrations() {
    return {
        {1,
         "create products and reservations",
         {"CREATE TABLE products ("
          " id INTEGER PRIMARY KEY,"
          " sku TEXT NOT NULL UNIQUE,"
          " name TEXT NOT NULL,"
          " price_cents INTEGER NOT NULL CHECK (price_cents >= 0),"
          " currency TEXT NOT NULL,"
          " category_id INTEGER NOT NULL,"
          " stock INTEGER NOT NULL DEFAULT 0 CHECK (stock >= 0),"
          " status TEXT NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'discontinued')),"
          " created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')))",
          "CREATE INDEX products_category ON products(category_id)",
          "CREATE TABLE reservations ("
          " id TEXT PRIMARY KEY,"
          " state TEXT NOT NULL CHECK (state IN ('held', 'committed', 'released')),"
          " created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')))",
          "CREATE TABLE reservation_items ("
          " reservation_id TEXT NOT NULL REFERENCES reservations(id),"
          " product_id INTEGER NOT NULL REFERENCES products(id),"
          " quantity INTEGER NOT NULL CHECK (quantity > 0),"
          " unit_price_cents INTEGER NOT NULL,"
          " currency TEXT NOT NULL,"
          " PRIMARY KEY (reservation_id, product_id))"}},
        {2, "index held reservations by age", {"CREATE INDEX reservations_state_age ON reservations(state, created_at)"}},
    };
}

// Every route that leases a database connection answers 503 when none frees up in time.
constexpr const char* database_busy = "Database busy: no connection became free in time; retry";
constexpr const char* no_such_product = "No such product (also for an id that is not a positive integer)";
constexpr const char* no_such_reservation = "No such reservation";

std::string random_id() {
    unsigned char raw[12];
    randombytes_buf(raw, sizeof raw);
    char hex[25];
    sodium_bin2hex(hex, sizeof hex, raw, sizeof raw);
    return hex;
}

struct product {
    long long id = 0;
    std::string sku, name, currency, status;
    long long price_cents = 0, category_id = 0, stock = 0;

    nlohmann::json json() const {
        return {{"id", id},           {"sku", sku},     {"name", name},   {"price_cents", price_cents},
                {"currency", currency}, {"category_id", category_id}, {"stock", stock}, {"status", status}};
    }
};

constexpr const char* product_columns = "id, sku, name, price_cents, currency, category_id, stock, status";

bool load(soci::session& s, long long id, product& p) {
    s << std::string("SELECT ") + product_columns + " FROM products WHERE id = :id", soci::into(p.id), soci::into(p.sku),
        soci::into(p.name), soci::into(p.price_cents), soci::into(p.currency), soci::into(p.category_id),
        soci::into(p.stock), soci::into(p.status), soci::use(id);
    return s.got_data();
}

product must_load(soci::session& s, long long id) {
    product p;
    if (!load(s, id, p)) throw berth::http_error(404, "No such product", "product " + std::to_string(id) + " does not exist");
    return p;
}

class products final : public berth::plugin {
public:
    static constexpr berth::manifest manifest{"products", "1.0.0"};

    void routes(berth::router& r) override {
        r.info("Products", "The catalogue's products, their prices and their stock.");
        r.component("Product", schemas::product());
        r.component("ProductPage", schemas::product_page());

        r.post("/v1/products", [this](const berth::request& req) { return create(req); })
            .summary("Adds a product to the catalogue (its category must exist)")
            .operation_id("createProduct")
            .tags({"catalogue"})
            .auth({"catalog:write"})
            .schema(schemas::new_product())
            .responds(201, berth::ref("Product"), "Created, active, with no stock")
            .responds_problem(409, "SKU taken: a product has this sku")
            .responds_problem(422, "No such category: category_id names no category")
            .responds_problem(503, "Categories unavailable, or the database busy; retry");
        r.get("/v1/products/{id}", [this](const berth::request& req) { return show(req); })
            .summary("One product")
            .operation_id("getProduct")
            .tags({"catalogue"})
            .responds(200, berth::ref("Product"), "The product")
            .responds_problem(404, no_such_product)
            .responds_problem(503, database_busy);
        r.get("/v1/products", [this](const berth::request& req) { return list(req); })
            .summary("Products, filtered by category and text, a page at a time")
            .operation_id("listProducts")
            .tags({"catalogue"})
            .query(schemas::list_query())
            .responds(200, berth::ref("ProductPage"), "A page of products by id; next_cursor is null on the last page")
            .responds_problem(503, database_busy);
        r.post("/v1/products/{id}/reprice", [this](const berth::request& req) { return reprice(req); })
            .summary("Sets a new price")
            .operation_id("repriceProduct")
            .tags({"catalogue"})
            .auth({"catalog:write"})
            .schema(schemas::object_of({{"price_cents", schemas::price()}}, {"price_cents"}))
            .responds(200, berth::ref("Product"), "Repriced")
            .responds_problem(404, no_such_product)
            .responds_problem(503, database_busy);
        r.post("/v1/products/{id}/restock", [this](const berth::request& req) { return restock(req); })
            .summary("Adds stock")
            .operation_id("restockProduct")
            .tags({"stock"})
            .auth({"catalog:write"})
            .schema(schemas::object_of({{"quantity", {{"type", "integer"}, {"minimum", 1}, {"maximum", 1000000}}}}, {"quantity"}))
            .responds(200, berth::ref("Product"), "Restocked")
            .responds_problem(404, no_such_product)
            .responds_problem(503, database_busy);
        r.post("/v1/products/{id}/discontinue", [this](const berth::request& req) { return discontinue(req); })
            .summary("Stops selling a product")
            .operation_id("discontinueProduct")
            .tags({"catalogue"})
            .auth({"catalog:write"})
            .responds(200, berth::ref("Product"), "Discontinued: it can no longer be bought")
            .responds_problem(404, no_such_product)
            .responds_problem(503, database_busy);

        // Stock reservations: for the payment module only (not published, so no components of their own).
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
        r.get("/v1/reservations/{id}", [this](const berth::request& req) { return reservation_state(req); })
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
    }

    void start(const berth::context& ctx) override {
        if (sodium_init() < 0) throw std::runtime_error("libsodium failed to initialise");
        ctx_ = &ctx;
        ttl_s_ = ctx.integer_setting("reservation_ttl_s", 60, 1, 86400);
        const long long every_ms = ctx.integer_setting("reservation_sweep_ms", 5000, 10, 3600000);
        db_ = std::make_unique<berth::database>(ctx);
        db_->migrate(migrations());
        sweep_.start(std::chrono::milliseconds(every_ms), [this] { sweep(); });
    }
    void stop() override {
        sweep_.stop();  // before the database goes: the sweep uses it
        db_.reset();
    }

private:
    berth::response create(const berth::request& req) {
        auto& body = req.json();
        product p;
        p.sku = body["sku"].get<std::string>();
        p.name = body["name"].get<std::string>();
        p.price_cents = body["price_cents"].get<long long>();
        p.currency = body["currency"].get<std::string>();
        p.category_id = body["category_id"].get<long long>();
        p.status = "active";
        // Ask the owner of categories; never its table.
        auto answer = ctx_->call("categories", "GET", "/v1/categories/" + std::to_string(p.category_id), nullptr,
                                 req.request_id());
        if (answer.status == 404)
            throw berth::http_error(422, "No such category", "category " + std::to_string(p.category_id) + " does not exist");
        if (!answer.ok())
            throw berth::http_error(503, "Categories unavailable",
                                    "the categories module answered " + std::to_string(answer.status));
        auto s = db_->lease();
        berth::immediate_transaction tx(s);
        int taken = 0;
        *s << "SELECT COUNT(*) FROM products WHERE sku = :sku", soci::into(taken), soci::use(p.sku);
        if (taken) throw berth::http_error(409, "SKU taken", "a product with sku '" + p.sku + "' exists");
        *s << "INSERT INTO products(sku, name, price_cents, currency, category_id) VALUES(:s, :n, :p, :c, :cat)",
            soci::use(p.sku), soci::use(p.name), soci::use(p.price_cents), soci::use(p.currency), soci::use(p.category_id);
        *s << "SELECT last_insert_rowid()", soci::into(p.id);
        tx.commit();
        return berth::response::json(201, p.json());
    }

    berth::response show(const berth::request& req) {
        auto s = db_->lease();
        return berth::response::json(200, must_load(*s, req.id_param("id", "product")).json());
    }

    berth::response list(const berth::request& req) {
        auto number = [&](const char* name, long long fallback) {
            auto v = req.query(name);
            return v ? std::stoll(std::string(*v)) : fallback;
        };
        const long long category = number("category_id", 0);
        const long long after = number("cursor", 0);
        const long long limit = number("limit", 20);
        const std::string q(req.query("q").value_or(""));
        std::string pattern;
        for (char c : q) {  // LIKE, with the user's wildcards taken literally
            if (c == '%' || c == '_' || c == '\\') pattern += '\\';
            pattern += c;
        }
        pattern = "%" + pattern + "%";
        const long long fetch = limit + 1;

        nlohmann::json items = nlohmann::json::array();
        auto s = db_->lease();
        product p;
        soci::statement st =
            (s->prepare << std::string("SELECT ") + product_columns +
                               " FROM products WHERE id > :after AND (:c1 = 0 OR category_id = :c2)"
                               " AND (:q1 = '' OR name LIKE :p1 ESCAPE '\\' OR sku LIKE :p2 ESCAPE '\\')"
                               " ORDER BY id LIMIT :lim",
             soci::into(p.id), soci::into(p.sku), soci::into(p.name), soci::into(p.price_cents), soci::into(p.currency),
             soci::into(p.category_id), soci::into(p.stock), soci::into(p.status), soci::use(after), soci::use(category),
             soci::use(category), soci::use(q), soci::use(pattern), soci::use(pattern), soci::use(fetch));
        st.execute();
        long long last = 0;
        bool more = false;
        while (st.fetch()) {
            if (static_cast<long long>(items.size()) == limit) {
                more = true;
                break;
            }
            items.push_back(p.json());
            last = p.id;
        }
        return berth::response::json(200, {{"items", items},
                                           {"next_cursor", more ? nlohmann::json(std::to_string(last)) : nlohmann::json(nullptr)}});
    }

    template <class Change>
    berth::response update(const berth::request& req, Change change) {
        const long long id = req.id_param("id", "product");
        auto s = db_->lease();
        berth::immediate_transaction tx(s);
        product p = must_load(*s, id);
        change(*s, p);
        p = must_load(*s, id);
        tx.commit();
        return berth::response::json(200, p.json());
    }

    berth::response reprice(const berth::request& req) {
        const long long price = req.json()["price_cents"].get<long long>();
        return update(req, [&](soci::session& s, product& p) {
            s << "UPDATE products SET price_cents = :p WHERE id = :id", soci::use(price), soci::use(p.id);
        });
    }

    berth::response restock(const berth::request& req) {
        const long long quantity = req.json()["quantity"].get<long long>();
        return update(req, [&](soci::session& s, product& p) {
            s << "UPDATE products SET stock = stock + :q WHERE id = :id", soci::use(quantity), soci::use(p.id);
        });
    }

    berth::response discontinue(const berth::request& req) {
        return update(req, [&](soci::session& s, product& p) {
            s << "UPDATE products SET status = 'discontinued' WHERE id = :id", soci::use(p.id);
        });
    }

    // All or nothing, in one BEGIN IMMEDIATE transaction: concurrent reservations serialise
    // on the database's write lock, so stock can never be sold twice.
    berth::response reserve(const berth::request& req) {
        std::map<long long, long long> wanted;  // product -> quantity, duplicates merged
        for (auto& item : req.json()["items"]) wanted[item["product_id"].get<long long>()] += item["quantity"].get<long long>();
        const std::string id = random_id();
        nlohmann::json items = nlohmann::json::array();
        auto s = db_->lease();
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
        return berth::response::json(201, {{"reservation_id", id}, {"state", "held"}, {"items", items}});
    }

    // held -> committed, or held -> released (stock given back). Repeating the same move is
    // harmless; the other move after one is refused.
    berth::response settle(const berth::request& req, const std::string& to) {
        const std::string id(req.param("id"));
        auto s = db_->lease();
        berth::immediate_transaction tx(s);
        std::string state;
        *s << "SELECT state FROM reservations WHERE id = :id", soci::into(state), soci::use(id);
        if (!s->got_data()) throw berth::http_error(404, "No such reservation", "reservation " + id + " does not exist");
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
        return berth::response::json(200, {{"reservation_id", id}, {"state", to}});
    }

    berth::response reservation_state(const berth::request& req) {
        const std::string id(req.param("id"));
        auto s = db_->lease();
        std::string state;
        *s << "SELECT state FROM reservations WHERE id = :id", soci::into(state), soci::use(id);
        if (!s->got_data()) throw berth::http_error(404, "No such reservation", "no reservation has this id");
        return berth::response::json(200, {{"reservation_id", id}, {"state", state}});
    }

    // Releases every reservation held longer than the TTL, inside the caller's BEGIN IMMEDIATE
    // transaction: held -> released and the stock given back happen together, exactly once
    // (commit and release check the state in a transaction of their own, so they see the result).
    int expire(soci::session& s) {
        const std::string age = "-" + std::to_string(ttl_s_) + " seconds";
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

    // The periodic half of expiry, for stock nobody is trying to buy.
    void sweep() {
        try {
            auto s = db_->lease();
            berth::immediate_transaction tx(s);
            int released = expire(*s);
            tx.commit();
            if (released > 0)
                ctx_->log(berth::log_level::info, std::to_string(released) + " expired reservation(s) released");
        } catch (const std::exception& e) {
            ctx_->log(berth::log_level::warn, std::string("reservation sweep failed: ") + e.what());
        }
    }

    const berth::context* ctx_ = nullptr;
    std::unique_ptr<berth::database> db_;
    long long ttl_s_ = 60;
    berth::periodic sweep_;  // last member: destroyed (joined) first
};

}  // namespace

BERTH_PLUGIN(products)
