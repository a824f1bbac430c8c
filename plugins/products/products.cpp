// products: the catalogue and its stock. Owns var/products.db: products, reservations,
// reservation_items, stock_adjustments, stock_returns. Asks categories (through the host)
// whether a category exists and what lies under it; payment asks it to reserve, commit and
// release stock and to take stock back. Browsing: listing.hpp; holds: reservations.hpp;
// adjustments and returns: stock.hpp.
#include <berth/periodic.hpp>
#include <berth/plugin.hpp>
#include <berth/storage.hpp>

#include "category_guard.hpp"
#include "listing.hpp"
#include "model.hpp"
#include "reservations.hpp"
#include "schemas.hpp"
#include "stock.hpp"

#include <sodium.h>

namespace {

using namespace products_detail;

constexpr const char* no_such_category = "No such category: category_id names no category (asked of categories, before and after the write: a category deleted meanwhile undoes it)";
constexpr const char* changed_meanwhile =
    "Changed meanwhile: the category was deleted as the write was made and the product changed before it could be undone";

class products final : public berth::plugin {
public:
    static constexpr berth::manifest manifest{"products", "1.0.0"};

    void routes(berth::router& r) override {
        r.info("Products", "The catalogue's products, their prices and their stock.");
        r.component("Product", schemas::product());
        r.component("ProductPage", schemas::product_page());
        r.component("ReservationPage", schemas::reservation_page());
        r.component("StockAdjustmentPage", schemas::stock_adjustment_page());

        r.post("/v1/products", [this](const berth::request& req) { return create(req); })
            .summary("Adds a product to the catalogue (its category must exist)")
            .operation_id("createProduct")
            .tags({"catalogue"})
            .auth({"catalog:write"})
            .schema(schemas::new_product())
            .responds(201, berth::ref("Product"), "Created, active, with no stock; Location names it, ETag its version")
            .responds_problem(409, "SKU taken: a product has this sku, in any case; or " + std::string(changed_meanwhile))
            .responds_problem(422, no_such_category)
            .responds_problem(503, "Categories unavailable, or the database busy; retry");
        r.get("/v1/products/{id}", [this](const berth::request& req) { return show(req); })
            .summary("One product, with its ETag")
            .operation_id("getProduct")
            .tags({"catalogue"})
            .responds(200, berth::ref("Product"), "The product; the ETag header names this version")
            .responds_problem(404, no_such_product)
            .responds_problem(503, database_busy);
        r.get("/v1/products", [this](const berth::request& req) { return list_products(st_, req); })
            .summary("Products, filtered by category (with its subcategories), status and text, sorted, a page at a time")
            .operation_id("listProducts")
            .tags({"catalogue"})
            .query(schemas::list_query())
            .responds(200, berth::ref("ProductPage"), "A page of products; next_cursor is null on the last page")
            .responds_problem(400, "Bad cursor: not one this listing gave with this sort")
            .responds_problem(404, "No such category")
            .responds_problem(503, "Categories unavailable, or the database busy; retry");
        edit_route(r, "/v1/products/{id}/reprice", "repriceProduct", "Sets a new price", "Repriced",
                   schemas::object_of({{"price_cents", schemas::price()}}, {"price_cents"}),
                   [this](const berth::request& req) { return reprice(req); });
        edit_route(r, "/v1/products/{id}/restock", "restockProduct", "Adds stock (recorded with the adjustments)", "Restocked",
                   schemas::object_of({{"quantity", {{"type", "integer"}, {"minimum", 1}, {"maximum", 1000000}}}}, {"quantity"}),
                   [this](const berth::request& req) { return restock(req); });
        edit_route(r, "/v1/products/{id}/discontinue", "discontinueProduct", "Stops selling a product",
                   "Discontinued: it can no longer be bought nor is it listed by default", nullptr,
                   [this](const berth::request& req) { return discontinue(req); });
        edit_route(r, "/v1/products/{id}/reinstate", "reinstateProduct", "Sells a discontinued product again",
                   "Active (an active one: unchanged)", nullptr, [this](const berth::request& req) { return reinstate(req); });
        edit_route(r, "/v1/products/{id}/rename", "renameProduct", "Gives a product a new name (trimmed)", "Renamed",
                   schemas::object_of({{"name", schemas::name()}}, {"name"}),
                   [this](const berth::request& req) { return rename(req); });
        edit_route(r, "/v1/products/{id}/recategorise", "recategoriseProduct", "Moves a product to another category",
                   "Recategorised", schemas::object_of({{"category_id", schemas::id()}}, {"category_id"}),
                   [this](const berth::request& req) { return recategorise(req); })
            .responds_problem(409, changed_meanwhile)
            .responds_problem(422, no_such_category)
            .responds_problem(503, "Categories unavailable, or the database busy; retry");

        stock_.declare(r);
        reservations_.declare(r);
    }

    void start(const berth::context& ctx) override {
        if (sodium_init() < 0) throw std::runtime_error("libsodium failed to initialise");
        st_.ctx = &ctx;
        st_.ttl_s = ctx.integer_setting("reservation_ttl_s", 60, 1, 86400);
        const long long every_ms = ctx.integer_setting("reservation_sweep_ms", 5000, 10, 3600000);
        st_.db = std::make_unique<berth::database>(ctx);
        st_.db->migrate(migrations());
        sweep_.start(std::chrono::milliseconds(every_ms), [this] { reservations_.sweep(); });
    }
    void stop() override {
        sweep_.stop();  // before the database goes: the sweep uses it
        st_.db.reset();
    }

private:
    // A write to one product (catalog:write), answering the product with its ETag; If-Match honoured.
    static berth::route& edit_route(berth::router& r, const char* path, const char* operation, const char* summary,
                                    const char* done, nlohmann::json body, berth::handler h) {
        auto& route = r.post(path, std::move(h))
                          .summary(summary)
                          .operation_id(operation)
                          .tags({"catalogue"})
                          .auth({"catalog:write"})
                          .responds(200, berth::ref("Product"), std::string(done) + "; the ETag header names the new version")
                          .responds_problem(404, no_such_product)
                          .responds_problem(412, stale_tag)
                          .responds_problem(503, database_busy);
        if (!body.is_null()) route.schema(std::move(body));
        return route;
    }

    berth::response create(const berth::request& req) {
        auto& body = req.json();
        product p;
        p.sku = body["sku"].get<std::string>();
        p.name = required_text(body, "name");
        p.price_cents = body["price_cents"].get<long long>();
        p.currency = body["currency"].get<std::string>();
        p.category_id = body["category_id"].get<long long>();
        p.status = "active";
        if (!category_exists(*st_.ctx, p.category_id, req.request_id()))
            throw berth::http_error(422, "No such category", "category " + std::to_string(p.category_id) + " does not exist");
        {
            auto s = st_.db->lease();
            berth::immediate_transaction tx(s);
            std::string taken;  // SKUs are unique in any case; checked here, as old data may hold pairs
            *s << "SELECT sku FROM products WHERE sku = :sku COLLATE NOCASE LIMIT 1", soci::into(taken), soci::use(p.sku);
            if (s->got_data()) throw berth::http_error(409, "SKU taken", "a product with sku '" + taken + "' exists");
            *s << "INSERT INTO products(sku, name, price_cents, currency, category_id) VALUES(:s, :n, :p, :c, :cat)",
                soci::use(p.sku), soci::use(p.name), soci::use(p.price_cents), soci::use(p.currency), soci::use(p.category_id);
            *s << "SELECT last_insert_rowid()", soci::into(p.id);
            p = must_load(*s, p.id);  // as stored: its tag is what the undo compares
            tx.commit();
        }
        // category_guard.hpp: asks again now that the product is there, undoing it on a 404.
        // A new product is deleted only as it was made: one already sold from or edited stays (409).
        confirm_category(
            st_, p, req.request_id(), [](const product& now, const product& made) { return now.tag() == made.tag(); },
            [](soci::session& db, const product& made) { db << "DELETE FROM products WHERE id = :id", soci::use(made.id); });
        return p.answer(201);
    }

    berth::response show(const berth::request& req) {
        auto s = st_.db->lease();
        return must_load(*s, req.id_param("id", "product")).answer();
    }

    berth::response reprice(const berth::request& req) {
        const long long price = req.json()["price_cents"].get<long long>();
        return edit(st_, req, [&](soci::session& s, product& p) {
            s << "UPDATE products SET price_cents = :p WHERE id = :id", soci::use(price), soci::use(p.id);
        });
    }

    berth::response restock(const berth::request& req) {
        const long long quantity = req.json()["quantity"].get<long long>();
        const std::string subject(req.subject());
        return edit(st_, req, [&](soci::session& s, product& p) {
            s << "UPDATE products SET stock = stock + :q WHERE id = :id", soci::use(quantity), soci::use(p.id);
            record_adjustment(s, p.id, quantity, "Restock", subject);
        });
    }

    berth::response set_status(const berth::request& req, const std::string& status) {
        return edit(st_, req, [&](soci::session& s, product& p) {
            s << "UPDATE products SET status = :s WHERE id = :id", soci::use(status), soci::use(p.id);
        });
    }
    berth::response discontinue(const berth::request& req) { return set_status(req, "discontinued"); }
    berth::response reinstate(const berth::request& req) { return set_status(req, "active"); }

    berth::response rename(const berth::request& req) {
        const std::string name = required_text(req.json(), "name");
        return edit(st_, req, [&](soci::session& s, product& p) {
            s << "UPDATE products SET name = :n WHERE id = :id", soci::use(name), soci::use(p.id);
        });
    }

    berth::response recategorise(const berth::request& req) {
        const long long category = req.json()["category_id"].get<long long>();
        {  // 404 for an unknown product before asking categories (the write checks again)
            auto s = st_.db->lease();
            must_load(*s, req.id_param("id", "product"));
        }
        if (!category_exists(*st_.ctx, category, req.request_id()))
            throw berth::http_error(422, "No such category", "category " + std::to_string(category) + " does not exist");
        // edit() inline: the product as written is needed for the second look (category_guard.hpp).
        product p;
        long long before = 0;
        {
            auto s = st_.db->lease();
            berth::immediate_transaction tx(s);
            p = must_load(*s, req.id_param("id", "product"));
            berth::require_if_match(req, p.tag());
            before = p.category_id;
            *s << "UPDATE products SET category_id = :c WHERE id = :id", soci::use(category), soci::use(p.id);
            p = must_load(*s, p.id);
            tx.commit();
        }
        if (before != category)
            // Moved back as long as it still names the category it was moved to: a sale or an edit of
            // something else meanwhile does not keep it in a deleted category.
            confirm_category(
                st_, p, req.request_id(),
                [](const product& now, const product& moved) { return now.category_id == moved.category_id; },
                [before](soci::session& db, const product& moved) {
                    db << "UPDATE products SET category_id = :c WHERE id = :id", soci::use(before), soci::use(moved.id);
                });
        return p.answer();
    }

    store st_;
    stock stock_{st_};
    reservations reservations_{st_};
    berth::periodic sweep_;  // last member: destroyed (joined) first
};

}  // namespace

BERTH_PLUGIN(products)
