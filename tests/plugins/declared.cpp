// declared: a test plugin that declares its contract (responses, components, a deprecated
// major), and answers against it on purpose where the tests ask it to.
#include <berth/plugin.hpp>

#include <stdexcept>

namespace {

class declared final : public berth::plugin {
public:
    static constexpr berth::manifest manifest{"declared", "1.4.0"};

    void routes(berth::router& r) override {
        r.info("Declared items", "A test plugin that states what it answers.");
        r.component("Item", {{"type", "object"},
                             {"required", {"id", "name"}},
                             {"properties", {{"id", {{"type", "integer"}}}, {"name", {{"type", "string"}}}}}});
        r.component("NewItem", {{"type", "object"},
                                {"required", {"name"}},
                                {"additionalProperties", false},
                                {"properties", {{"name", {{"type", "string"}, {"minLength", 1}}}}}});
        r.deprecate_major(1, {"2026-01-01", "2027-06-30", "https://docs.example.test/items-v2"});

        // "1": a good item; "shapeless": an id of the wrong type; "teapot": a status never
        // declared; "missing": the declared 404.
        r.get("/v1/items/{id}", [](const berth::request& req) {
             auto id = req.param("id");
             if (id == "shapeless") return berth::response::json(200, {{"id", "seven"}, {"name", "lamp"}});
             if (id == "teapot") return berth::response::json(418, {{"id", 1}, {"name", "teapot"}});
             if (id == "missing") throw berth::http_error(404, "No such item");
             if (id == "boom") throw std::runtime_error("the handler failed on purpose");
             if (id == "busy") return berth::response::problem(503, "busy, try later");  // a host answer, undeclared
             return berth::response::json(200, {{"id", 1}, {"name", "lamp"}});
         })
            .responds(200, berth::ref("Item"), "The item")
            .responds_problem(404, "No such item");
        r.post("/v1/items", [](const berth::request& req) {
             return berth::response::json(201, {{"id", 7}, {"name", req.json()["name"]}, {"content_type",
                                                std::string(req.header("Content-Type").value_or(""))}});
         })
            .schema(berth::ref("NewItem"))
            .responds(201, berth::ref("Item"), "Created");
        r.get("/v2/items/{id}", [](const berth::request&) {
             return berth::response::json(200, {{"id", 1}, {"name", "lamp"}, {"labels", nlohmann::json::array()}});
         }).responds(200, berth::ref("Item"), "The item");
        r.post("/v2/items/{id}/archive", [](const berth::request&) { return berth::response::no_content(); })
            .responds(204, "Archived");
    }
};

}  // namespace

BERTH_PLUGIN(declared)
