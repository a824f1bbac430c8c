// categories: the catalogue's tree. Owns var/categories.db: the categories table.
// Other modules ask GET /v1/categories/{id} and /subtree through the host; they never read
// this table. Deleting asks products whether any product names the category.
#include "schemas.hpp"
#include "store.hpp"
#include "text.hpp"

#include <berth/plugin.hpp>
#include <berth/storage.hpp>

#include <functional>
#include <map>

namespace {

namespace schemas = categories_schemas;
using categories_store::row;

std::vector<berth::migration> migrations() {
    return {
        {1,
         "create categories",
         {"CREATE TABLE categories ("
          " id INTEGER PRIMARY KEY,"
          " name TEXT NOT NULL,"
          " parent_id INTEGER REFERENCES categories(id),"
          " created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')))",
          // Siblings have distinct names, whatever their case.
          "CREATE UNIQUE INDEX categories_sibling_name ON categories(IFNULL(parent_id, 0), name COLLATE NOCASE)"}},
        // A deleted category's id is never handed out again (the table has no AUTOINCREMENT):
        // products, bookmarks and a delete's restore would name an unrelated category.
        {2, "retired category ids", {"CREATE TABLE retired_category_ids (id INTEGER PRIMARY KEY)"}},
    };
}

// Every route that leases a database connection answers 503 when none frees up in time.
constexpr const char* database_busy = "Database busy: no connection became free in time; retry";
constexpr const char* no_such_category = "No such category (also for an id that is not a positive integer)";
constexpr const char* name_taken = "Name taken: a sibling has this name, in any case";
constexpr const char* blank_name = "Invalid request: the name is blank (Unicode whitespace too) or holds control characters";

// The name trimmed of Unicode whitespace too; 400 naming /name when blank or holding control
// characters (the schema's `\S` catches only ASCII blanks at the edge).
std::string trimmed_name(const nlohmann::json& value) {
    return berth::shop::text::clean(value.get<std::string>(), "/name");
}

std::string location(long long id) { return "/v1/categories/" + std::to_string(id); }

class categories final : public berth::plugin {
public:
    static constexpr berth::manifest manifest{"categories", "1.0.0"};

    void routes(berth::router& r) override {
        r.info("Categories", "The catalogue's tree of categories: products name one by id.");
        r.component("Category", schemas::category());
        r.component("CategoryNode", schemas::category_node());
        r.component("CategorySubtree", schemas::subtree());

        r.post("/v1/categories", [this](const berth::request& req) { return create(req); })
            .summary("Creates a category, at the top or under a parent")
            .operation_id("createCategory")
            .tags({"catalogue"})
            .auth({"catalog:write"})
            .schema(schemas::create_request())
            .responds(201, berth::ref("Category"), "Created; Location names it. The name is stored trimmed")
            .responds_problem(400, blank_name)
            .responds_problem(409, name_taken)
            .responds_problem(422, "No such parent: parent_id names no category; or Too deep: past 32 levels")
            .responds_problem(503, database_busy);
        r.get("/v1/categories", [this](const berth::request&) { return tree(); })
            .summary("The whole category tree")
            .operation_id("getCategoryTree")
            .tags({"catalogue"})
            .responds(200, {{"type", "array"}, {"items", berth::ref("CategoryNode")}}, "The top-level categories, each with its children; siblings by name")
            .responds_problem(503, database_busy);
        r.get("/v1/categories/{id}", [this](const berth::request& req) { return show(req); })
            .summary("One category")
            .operation_id("getCategory")
            .tags({"catalogue"})
            .responds(200, berth::ref("Category"), "The category")
            .responds_problem(404, no_such_category)
            .responds_problem(503, database_busy);
        r.get("/v1/categories/{id}/subtree", [this](const berth::request& req) { return subtree(req); })
            .summary("The ids of a category and of every category under it")
            .operation_id("getCategorySubtree")
            .tags({"catalogue"})
            .responds(200, berth::ref("CategorySubtree"), "ids: the category and all its descendants, ascending")
            .responds_problem(404, no_such_category)
            .responds_problem(503, database_busy);
        r.post("/v1/categories/{id}/rename", [this](const berth::request& req) { return rename(req); })
            .summary("Renames a category")
            .operation_id("renameCategory")
            .tags({"catalogue"})
            .auth({"catalog:write"})
            .schema(schemas::rename_request())
            .responds(200, berth::ref("Category"), "Renamed (the name is stored trimmed)")
            .responds_problem(400, blank_name)
            .responds_problem(404, no_such_category)
            .responds_problem(409, name_taken)
            .responds_problem(503, database_busy);
        r.post("/v1/categories/{id}/move", [this](const berth::request& req) { return move(req); })
            .summary("Moves a category (with everything under it) under another parent, or to the top with null")
            .operation_id("moveCategory")
            .tags({"catalogue"})
            .auth({"catalog:write"})
            .schema(schemas::move_request())
            .responds(200, berth::ref("Category"), "Moved (or already there)")
            .responds_problem(404, no_such_category)
            .responds_problem(409, "Cycle: the new parent is the category or under it; or Name taken among the new siblings")
            .responds_problem(422, "No such parent: parent_id names no category; or Too deep: past 32 levels")
            .responds_problem(503, database_busy);
        r.del("/v1/categories/{id}", [this](const berth::request& req) { return remove(req); })
            .summary("Deletes an empty category")
            .operation_id("deleteCategory")
            .tags({"catalogue"})
            .auth({"catalog:write"})
            .responds(204, "Deleted")
            .responds_problem(404, no_such_category)
            .responds_problem(409, "Category not empty: it has subcategories, or a product (active or discontinued) names it, also one created into it as it was deleted (the category is put back)")
            .responds_problem(503, "Database busy, or products could not say whether a product names the category; retry");
    }

    void start(const berth::context& ctx) override {
        ctx_ = &ctx;
        db_ = std::make_unique<berth::database>(ctx);
        db_->migrate(migrations());
    }
    void stop() override { db_.reset(); }

private:
    berth::response create(const berth::request& req) {
        auto& body = req.json();
        row r;
        r.name = trimmed_name(body["name"]);
        if (body.contains("parent_id") && !body["parent_id"].is_null()) {
            r.parent_id = body["parent_id"].get<long long>();
            r.parent_ind = soci::i_ok;
        }
        auto s = db_->lease();
        berth::immediate_transaction tx(s);
        row parent;
        if (!r.at_top() && !categories_store::load(*s, r.parent_id, parent))
            throw berth::http_error(422, "No such parent", "parent category " + std::to_string(r.parent_id) + " does not exist");
        if (!r.at_top()) categories_store::refuse_too_deep(categories_store::depth(*s, r.parent_id) + 1);
        if (categories_store::sibling_named(*s, r.name, r.at_top() ? 0 : r.parent_id, 0))
            throw berth::http_error(409, "Name taken", "a sibling category is already named '" + r.name + "'");
        *s << "SELECT 1 + MAX(IFNULL((SELECT MAX(id) FROM categories), 0), IFNULL((SELECT MAX(id) FROM retired_category_ids), 0))",
            soci::into(r.id);
        *s << "INSERT INTO categories(id, name, parent_id) VALUES(:id, :n, :p)", soci::use(r.id), soci::use(r.name),
            soci::use(r.parent_id, r.parent_ind);
        tx.commit();
        return berth::response::created(location(r.id), r.json());
    }

    berth::response show(const berth::request& req) {
        const long long id = req.id_param("id", "category");
        auto s = db_->lease();
        return berth::response::json(200, categories_store::must_load(*s, id).json());
    }

    berth::response subtree(const berth::request& req) {
        const long long id = req.id_param("id", "category");
        auto s = db_->lease();
        categories_store::must_load(*s, id);
        return berth::response::json(200, {{"id", id}, {"ids", categories_store::subtree(*s, id)}});
    }

    berth::response rename(const berth::request& req) {
        const long long id = req.id_param("id", "category");
        const std::string name = trimmed_name(req.json()["name"]);
        auto s = db_->lease();
        berth::immediate_transaction tx(s);
        row r = categories_store::must_load(*s, id);
        if (categories_store::sibling_named(*s, name, r.at_top() ? 0 : r.parent_id, id))
            throw berth::http_error(409, "Name taken", "a sibling category is already named '" + name + "'");
        *s << "UPDATE categories SET name = :n WHERE id = :id", soci::use(name), soci::use(id);
        tx.commit();
        r.name = name;
        return berth::response::json(200, r.json());
    }

    berth::response move(const berth::request& req) {
        const long long id = req.id_param("id", "category");
        const auto& to = req.json()["parent_id"];
        const long long parent = to.is_null() ? 0 : to.get<long long>();
        auto s = db_->lease();
        berth::immediate_transaction tx(s);
        row r = categories_store::must_load(*s, id);
        if (parent != 0) {
            row p;
            if (!categories_store::load(*s, parent, p))
                throw berth::http_error(422, "No such parent", "parent category " + std::to_string(parent) + " does not exist");
            // Under itself or under one of its own descendants, the tree would become a loop.
            for (long long under : categories_store::subtree(*s, id))
                if (under == parent)
                    throw berth::http_error(409, "Cycle", "category " + std::to_string(parent) + " is category " + std::to_string(id) +
                                                              " or under it");
            categories_store::refuse_too_deep(categories_store::depth(*s, parent) + categories_store::height(*s, id));
        }
        if (categories_store::sibling_named(*s, r.name, parent, id))
            throw berth::http_error(409, "Name taken", "a category named '" + r.name + "' is already there");
        r.parent_id = parent;
        r.parent_ind = parent == 0 ? soci::i_null : soci::i_ok;
        *s << "UPDATE categories SET parent_id = :p WHERE id = :id", soci::use(r.parent_id, r.parent_ind), soci::use(id);
        tx.commit();
        return berth::response::json(200, r.json());
    }

    berth::response remove(const berth::request& req) {
        const long long id = req.id_param("id", "category");
        {
            auto s = db_->lease();
            categories_store::must_load(*s, id);
            if (categories_store::has_children(*s, id)) throw not_empty(id, "it has subcategories");
        }
        // Asked before the transaction, holding no connection: products asks this module back.
        if (product_names(id, req.request_id())) throw not_empty(id, "a product names it");
        row gone;
        {
            auto s = db_->lease();
            berth::immediate_transaction tx(s);
            gone = categories_store::must_load(*s, id);
            if (categories_store::has_children(*s, id)) throw not_empty(id, "it has subcategories");
            *s << "DELETE FROM categories WHERE id = :id", soci::use(id);
            *s << "INSERT OR IGNORE INTO retired_category_ids(id) VALUES(:id)", soci::use(id);
            tx.commit();
        }
        // A second look, after the commit: a product created (or recategorised) into it since
        // the first puts it back. Why this and products' own second look leave no orphan:
        // plugins/products/category_guard.hpp.
        bool named = true;
        try {
            named = product_names(id, req.request_id());
        } catch (const berth::http_error&) {
            restore(gone);  // products cannot say: never deleted on a guess
            throw;
        }
        if (named) {
            restore(gone);
            throw not_empty(id, "a product names it");
        }
        return berth::response::no_content();
    }

    // Puts a deleted row back with its id. Where its parent has gone meanwhile it goes to the
    // top, and where a sibling took its name meanwhile it gets " (restored <id>)" after it.
    void restore(row r) {
        auto s = db_->lease();
        berth::immediate_transaction tx(s);
        row there;
        if (categories_store::load(*s, r.id, there)) return;  // the id holds a category: nothing names a missing one
        if (!r.at_top() && !categories_store::load(*s, r.parent_id, there)) r.parent_ind = soci::i_null;
        if (categories_store::sibling_named(*s, r.name, r.at_top() ? 0 : r.parent_id, r.id))
            r.name += " (restored " + std::to_string(r.id) + ")";
        *s << "INSERT INTO categories(id, name, parent_id) VALUES(:id, :n, :p)", soci::use(r.id), soci::use(r.name),
            soci::use(r.parent_id, r.parent_ind);
        *s << "DELETE FROM retired_category_ids WHERE id = :id", soci::use(r.id);
        tx.commit();
    }

    static berth::http_error not_empty(long long id, const std::string& why) {
        return berth::http_error(409, "Category not empty", "category " + std::to_string(id) + " cannot be deleted: " + why);
    }

    // Whether any product, active or discontinued, names the category directly. Anything but
    // a clear answer is 503: a category is never deleted on a guess.
    bool product_names(long long id, std::string_view request_id) const {
        berth::call_result answer;
        try {
            answer = ctx_->call("products", "GET",
                                "/v1/products?category_id=" + std::to_string(id) + "&subcategories=false&status=all&limit=1",
                                nullptr, request_id);
        } catch (const std::exception&) {
            answer.status = 0;
        }
        const auto page = answer.ok() ? answer.json() : nlohmann::json();
        if (!page.is_object() || !page.contains("items") || !page["items"].is_array())
            throw berth::http_error(503, "Products unavailable",
                                    "could not ask products whether a product names the category; retry");
        return !page["items"].empty();
    }

    berth::response tree() {
        std::vector<row> rows;
        {
            auto s = db_->lease();
            row r;
            soci::statement st = (s->prepare << "SELECT id, name, parent_id FROM categories ORDER BY name COLLATE NOCASE, id",
                                  soci::into(r.id), soci::into(r.name), soci::into(r.parent_id, r.parent_ind));
            st.execute();
            while (st.fetch()) rows.push_back(r);
        }
        std::map<long long, std::vector<const row*>> children;  // parent id (0: top) -> children
        for (auto& r : rows) children[r.at_top() ? 0 : r.parent_id].push_back(&r);
        // Acyclic: a parent exists before its children, and a move under its own subtree is refused.
        std::function<nlohmann::json(long long)> level = [&](long long parent) {
            nlohmann::json out = nlohmann::json::array();
            for (const row* c : children[parent]) out.push_back({{"id", c->id}, {"name", c->name}, {"children", level(c->id)}});
            return out;
        };
        return berth::response::json(200, level(0));
    }

    const berth::context* ctx_ = nullptr;
    std::unique_ptr<berth::database> db_;
};

}  // namespace

BERTH_PLUGIN(categories)
