// categories: the catalogue's tree. Owns var/categories.db: the categories table.
// Other modules ask GET /v1/categories/{id} through the host; they never read this table.
#include <berth/plugin.hpp>
#include <berth/storage.hpp>

#include <map>

namespace {

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
    };
}

nlohmann::json name_schema() { return {{"type", "string"}, {"minLength", 1}, {"maxLength", 100}}; }
nlohmann::json id_schema() { return {{"type", "integer"}, {"minimum", 1}}; }

// Every route that leases a database connection answers 503 when none frees up in time.
constexpr const char* database_busy = "Database busy: no connection became free in time; retry";

class categories final : public berth::plugin {
public:
    static constexpr berth::manifest manifest{"categories", "1.0.0"};

    void routes(berth::router& r) override {
        r.info("Categories", "The catalogue's tree of categories: products name one by id.");
        // Response objects stay open (no additionalProperties: false): a new field is an additive change.
        r.component("Category", {{"type", "object"},
                                 {"required", {"id", "name", "parent_id"}},
                                 {"properties",
                                  {{"id", id_schema()}, {"name", {{"type", "string"}}}, {"parent_id", {{"type", {"integer", "null"}}, {"minimum", 1}}}}}});
        // A tree node. Components cannot refer to themselves (validation inlines them), so the
        // first two levels are checked whole and deeper ones as nodes with children.
        const nlohmann::json deeper = {{"type", "object"},
                                       {"required", {"id", "name", "children"}},
                                       {"properties", {{"id", id_schema()}, {"name", {{"type", "string"}}}, {"children", {{"type", "array"}}}}}};
        const nlohmann::json child = {{"type", "object"},
                                      {"required", {"id", "name", "children"}},
                                      {"properties",
                                       {{"id", id_schema()}, {"name", {{"type", "string"}}}, {"children", {{"type", "array"}, {"items", deeper}}}}}};
        r.component("CategoryNode", {{"type", "object"},
                                     {"required", {"id", "name", "children"}},
                                     {"properties",
                                      {{"id", id_schema()}, {"name", {{"type", "string"}}}, {"children", {{"type", "array"}, {"items", child}}}}}});

        r.post("/v1/categories", [this](const berth::request& req) { return create(req); })
            .summary("Creates a category, at the top or under a parent")
            .operation_id("createCategory")
            .tags({"catalogue"})
            .auth({"catalog:write"})
            .schema({{"type", "object"},
                     {"required", {"name"}},
                     {"additionalProperties", false},
                     {"properties", {{"name", name_schema()}, {"parent_id", {{"type", {"integer", "null"}}, {"minimum", 1}}}}}})
            .responds(201, berth::ref("Category"), "Created")
            .responds_problem(409, "Name taken: a sibling has this name, in any case")
            .responds_problem(422, "No such parent: parent_id names no category")
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
            .responds_problem(404, "No such category (also for an id that is not a positive integer)")
            .responds_problem(503, database_busy);
        r.post("/v1/categories/{id}/rename", [this](const berth::request& req) { return rename(req); })
            .summary("Renames a category")
            .operation_id("renameCategory")
            .tags({"catalogue"})
            .auth({"catalog:write"})
            .schema({{"type", "object"},
                     {"required", {"name"}},
                     {"additionalProperties", false},
                     {"properties", {{"name", name_schema()}}}})
            .responds(200, berth::ref("Category"), "Renamed")
            .responds_problem(404, "No such category (also for an id that is not a positive integer)")
            .responds_problem(409, "Name taken: a sibling has this name, in any case")
            .responds_problem(503, database_busy);
    }

    void start(const berth::context& ctx) override {
        db_ = std::make_unique<berth::database>(ctx);
        db_->migrate(migrations());
    }
    void stop() override { db_.reset(); }

private:
    struct row {
        long long id = 0;
        std::string name;
        long long parent_id = 0;
        soci::indicator parent_ind = soci::i_null;
    };
    static nlohmann::json to_json(const row& r) {
        return {{"id", r.id},
                {"name", r.name},
                {"parent_id", r.parent_ind == soci::i_ok ? nlohmann::json(r.parent_id) : nlohmann::json(nullptr)}};
    }
    static bool load(soci::session& s, long long id, row& r) {
        s << "SELECT id, name, parent_id FROM categories WHERE id = :id", soci::into(r.id), soci::into(r.name),
            soci::into(r.parent_id, r.parent_ind), soci::use(id);
        return s.got_data();
    }
    static bool sibling_named(soci::session& s, const std::string& name, soci::indicator parent_ind, long long parent,
                              long long except) {
        int n = 0;
        long long p = parent_ind == soci::i_ok ? parent : 0;
        s << "SELECT COUNT(*) FROM categories WHERE IFNULL(parent_id, 0) = :p AND name = :n COLLATE NOCASE "
             "AND id != :x",
            soci::into(n), soci::use(p), soci::use(name), soci::use(except);
        return n > 0;
    }

    berth::response create(const berth::request& req) {
        auto& body = req.json();
        row r;
        r.name = body["name"].get<std::string>();
        if (body.contains("parent_id") && !body["parent_id"].is_null()) {
            r.parent_id = body["parent_id"].get<long long>();
            r.parent_ind = soci::i_ok;
        }
        auto s = db_->lease();
        berth::immediate_transaction tx(s);
        if (r.parent_ind == soci::i_ok) {
            row parent;
            if (!load(*s, r.parent_id, parent))
                throw berth::http_error(422, "No such parent", "parent category " + std::to_string(r.parent_id) + " does not exist");
        }
        if (sibling_named(*s, r.name, r.parent_ind, r.parent_id, 0))
            throw berth::http_error(409, "Name taken", "a sibling category is already named '" + r.name + "'");
        *s << "INSERT INTO categories(name, parent_id) VALUES(:n, :p)", soci::use(r.name), soci::use(r.parent_id, r.parent_ind);
        *s << "SELECT last_insert_rowid()", soci::into(r.id);
        tx.commit();
        return berth::response::json(201, to_json(r));
    }

    berth::response show(const berth::request& req) {
        const long long id = req.id_param("id", "category");
        auto s = db_->lease();
        row r;
        if (!load(*s, id, r)) throw berth::http_error(404, "No such category", "category " + std::to_string(id) + " does not exist");
        return berth::response::json(200, to_json(r));
    }

    berth::response rename(const berth::request& req) {
        const long long id = req.id_param("id", "category");
        const std::string name = req.json()["name"].get<std::string>();
        auto s = db_->lease();
        berth::immediate_transaction tx(s);
        row r;
        if (!load(*s, id, r)) throw berth::http_error(404, "No such category", "category " + std::to_string(id) + " does not exist");
        if (sibling_named(*s, name, r.parent_ind, r.parent_id, id))
            throw berth::http_error(409, "Name taken", "a sibling category is already named '" + name + "'");
        *s << "UPDATE categories SET name = :n WHERE id = :id", soci::use(name), soci::use(id);
        tx.commit();
        r.name = name;
        return berth::response::json(200, to_json(r));
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
        for (auto& r : rows) children[r.parent_ind == soci::i_ok ? r.parent_id : 0].push_back(&r);
        // A tree is acyclic by construction (a parent exists before its children; ids only grow).
        std::function<nlohmann::json(long long)> level = [&](long long parent) {
            nlohmann::json out = nlohmann::json::array();
            for (const row* c : children[parent]) out.push_back({{"id", c->id}, {"name", c->name}, {"children", level(c->id)}});
            return out;
        };
        return berth::response::json(200, level(0));
    }

    std::unique_ptr<berth::database> db_;
};

}  // namespace

BERTH_PLUGIN(categories)
