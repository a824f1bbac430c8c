// contract_versions: one module's contract, built in variants (tests/CMakeLists.txt) so that
// tests/host/gate_test.cpp can swap between real builds whose contracts differ by one change.
//   CONTRACT_VARIANT  0 the base; 1-9 one breaking change each; 10-11 additive changes only
//   CONTRACT_VERSION  the version it reports
#include <berth/plugin.hpp>

#include <filesystem>
#include <fstream>

#ifndef CONTRACT_VARIANT
#define CONTRACT_VARIANT 0
#endif
#ifndef CONTRACT_VERSION
#define CONTRACT_VERSION "1.0.0"
#endif

namespace {

using nlohmann::json;

enum variant_id : int {
    base,
    operation_removed,   // GET /v1/items is gone
    required_added,      // POST /v1/items requires "note"
    bound_tightened,     // name's maxLength 40 -> 20
    enum_narrowed,       // kind loses "disc"
    closed,              // the create body refuses undeclared fields
    response_field,      // Item loses "name"
    status_removed,      // the create answers 200, not 201
    auth_added,          // GET /v1/items/{id} needs a token
    scope_added,         // GET /v1/items/{id}/history needs items:audit too
    additive_fields,     // optional "note", maxLength 80, kind gains "game"
    additive_operations  // DELETE /v1/items/{id}, Item gains "created_at", create may answer 409
};
constexpr int variant = CONTRACT_VARIANT;

json item_schema() {
    json s = {{"type", "object"},
              {"required", {"id", "name"}},
              {"properties", {{"id", {{"type", "integer"}}}, {"name", {{"type", "string"}}}}}};
    if (variant == response_field) {
        s["properties"].erase("name");
        s["required"] = {"id"};
    }
    if (variant == additive_operations) s["properties"]["created_at"] = {{"type", "string"}};
    return s;
}

json create_schema() {
    const int max_name = variant == bound_tightened ? 20 : variant == additive_fields ? 80 : 40;
    json kinds = variant == enum_narrowed ? json{"book"} : json{"book", "disc"};
    if (variant == additive_fields) kinds.push_back("game");
    json s = {{"type", "object"},
              {"required", {"name"}},
              {"properties",
               {{"name", {{"type", "string"}, {"minLength", 1}, {"maxLength", max_name}}},
                {"kind", {{"type", "string"}, {"enum", kinds}}}}}};
    if (variant == required_added || variant == additive_fields) s["properties"]["note"] = {{"type", "string"}};
    if (variant == required_added) s["required"].push_back("note");
    if (variant == closed) s["additionalProperties"] = false;
    return s;
}

json item(long long id) {
    json i = {{"id", id}};
    if (variant != response_field) i["name"] = "item " + std::to_string(id);
    if (variant == additive_operations) i["created_at"] = "2026-11-28T00:00:00Z";
    return i;
}

class contract_versions final : public berth::plugin {
public:
    static constexpr berth::manifest manifest{"contract_versions", CONTRACT_VERSION};

    void routes(berth::router& r) override {
        r.component("Item", item_schema());
        r.get("/v1/version", [](const berth::request&) {
             return berth::response::json(200, {{"version", CONTRACT_VERSION}});
         }).responds(200, {{"type", "object"}, {"properties", {{"version", {{"type", "string"}}}}}}, "The build's version");

        const int created = variant == status_removed ? 200 : 201;
        auto& create = r.post("/v1/items", [created](const berth::request&) { return berth::response::json(created, item(1)); })
                           .schema(create_schema())
                           .responds(created, berth::ref("Item"), "Created")
                           .responds_problem(400, "The body does not fit");
        if (variant == additive_operations) create.responds_problem(409, "Already there");

        if (variant != operation_removed)
            r.get("/v1/items", [](const berth::request&) { return berth::response::json(200, json::array({item(1)})); })
                .query({{"type", "object"}, {"properties", {{"limit", {{"type", "integer"}, {"maximum", 100}}}}}})
                .responds(200, {{"type", "array"}, {"items", berth::ref("Item")}}, "Items");

        auto& read = r.get("/v1/items/{id}", [](const berth::request& req) {
                          return berth::response::json(200, item(req.id_param("id", "item")));
                      }).responds(200, berth::ref("Item"), "One item");
        if (variant == auth_added) read.auth();

        std::vector<std::string> scopes = {"items:read"};
        if (variant == scope_added) scopes.push_back("items:audit");
        r.get("/v1/items/{id}/history", [](const berth::request&) { return berth::response::json(200, json::array()); })
            .auth(scopes)
            .responds(200, {{"type", "array"}}, "What happened to the item");

        if (variant == additive_operations)
            r.del("/v1/items/{id}", [](const berth::request&) { return berth::response::no_content(); })
                .responds(204, "Deleted");
    }

    // Stands for a migration: what a build does to shared state when it starts. The gate must
    // refuse a breaking build before this runs.
    void start(const berth::context& ctx) override {
        std::ofstream(std::filesystem::path(ctx.data_dir()) / "contract_versions.started", std::ios::app)
            << CONTRACT_VERSION << "\n";
    }
};

}  // namespace

BERTH_PLUGIN(contract_versions)
