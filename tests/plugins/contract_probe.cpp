// contract_probe: a test plugin with one route per behaviour the host tests check.
#include <berth/plugin.hpp>

#include "latch.hpp"

#include <atomic>

#include <chrono>
#include <stdexcept>
#include <thread>

namespace {

class contract_probe final : public berth::plugin {
public:
    static constexpr berth::manifest manifest{"contract_probe", "2.3.4"};

    void routes(berth::router& r) override {
        r.get("/v1/items/{id}", [](const berth::request& req) {
            return berth::response::json(200, {{"route", "item"}, {"id", req.param("id")}});
        });
        r.get("/v1/items/special", [](const berth::request&) {
            return berth::response::json(200, {{"route", "special"}});
        });
        r.get("/v1/shelves/{shelf}/items/{id}", [](const berth::request& req) {
            return berth::response::json(200, {{"shelf", req.param("shelf")}, {"id", req.param("id")}});
        });
        r.del("/v1/items/{id}", [](const berth::request&) { return berth::response::no_content(); });
        // Careless on purpose: copies a decoded path parameter into a response header.
        r.get("/v1/moved/{to}", [](const berth::request& req) {
            auto res = berth::response::json(200, {{"moved", true}});
            res.headers.emplace_back("X-Moved-To", std::string(req.param("to")));
            return res;
        });
        r.post("/v1/items", [](const berth::request& req) {
             return berth::response::json(201, {{"created", req.json()}});
         }).schema({{"type", "object"},
                    {"required", {"name", "price_cents"}},
                    {"additionalProperties", false},
                    {"properties",
                     {{"name", {{"type", "string"}, {"minLength", 1}}},
                      {"price_cents", {{"type", "integer"}, {"minimum", 0}}},
                      {"tags", {{"type", "array"}, {"items", {{"type", "string"}}}}}}}});
        r.get("/v1/search", [](const berth::request& req) {
             return berth::response::json(200, {{"q", req.query("q").value_or("")},
                                                {"limit", req.query("limit").value_or("")}});
         }).query({{"type", "object"},
                   {"required", {"q"}},
                   {"additionalProperties", false},
                   {"properties",
                    {{"q", {{"type", "string"}, {"minLength", 1}}},
                     {"limit", {{"type", "integer"}, {"minimum", 1}, {"maximum", 100}}}}}});
        r.post("/v1/echo", [](const berth::request& req) {
            auto res = berth::response::text(200, std::string(req.body()), "application/octet-stream");
            res.header("X-Echo-Request-Id", std::string(req.request_id()));
            if (auto h = req.header("x-probe")) res.header("X-Probe-Seen", std::string(*h));
            return res;
        }).takes("application/octet-stream");
#ifndef CONTRACT_PROBE_FUZZ  // fuzzing leaves out the routes that fail or stall on purpose
        r.get("/v1/boom", [](const berth::request&) -> berth::response {
            throw std::runtime_error("probe exploded on purpose");
        });
#endif
        r.get("/v1/teapot", [](const berth::request&) -> berth::response {
            throw berth::http_error(418, "I'm a teapot", "short and stout");
        });
#ifndef CONTRACT_PROBE_FUZZ
        r.get("/v1/slow", [](const berth::request& req) {
            int ms = std::stoi(std::string(req.query("ms").value_or("100")));
            std::this_thread::sleep_for(std::chrono::milliseconds(ms));
            return berth::response::json(200, {{"slept_ms", ms}});
        });
        berth_test_latch::add_routes(r, latch_dir_);
#endif
        // In-process calls: relay calls whoami on this same module through the host.
        r.get("/v1/relay", [this](const berth::request& req) {
            auto answer = ctx_->call(ctx_->module(), "GET", "/v1/whoami", nullptr, req.request_id());
            return berth::response::json(200, {{"status", answer.status}, {"answer", answer.json()}});
        });
        r.get("/v1/whoami", [](const berth::request& req) {
             return berth::response::json(200, {{"caller", req.caller()}, {"request_id", req.request_id()}});
         }).callers({"probe"});
#ifndef CONTRACT_PROBE_FUZZ
        // Answers whatever status it is asked for, always with a JSON body ("null").
        r.get("/v1/odd", [](const berth::request& req) {
            return berth::response::json(std::stoi(std::string(req.query("status").value_or("200"))), nullptr);
        });
#endif
        // A side effect a test can count: how many times a request really ran.
        r.post("/v1/tally", [this](const berth::request&) {
            return berth::response::json(200, {{"tally", ++tally_}});
        });
        r.get("/v1/tally", [this](const berth::request&) { return berth::response::json(200, {{"tally", tally_.load()}}); });
        r.post("/v1/parse", [](const berth::request& req) {
            return berth::response::json(200, {{"parsed", req.json()}});  // no schema: the SDK parses
        }).takes("application/json");
        // route::optional_body: no body at all, or one that passes the schema.
        r.post("/v1/notes", [](const berth::request& req) {
             if (req.body().empty()) return berth::response::json(200, {{"text", nullptr}});
             return berth::response::json(200, {{"text", req.json()["text"]}});
         })
            .schema({{"type", "object"}, {"additionalProperties", false}, {"properties", {{"text", {{"type", "string"}}}}}})
            .optional_body();
    }

    void start(const berth::context& ctx) override {
        ctx_ = &ctx;
        latch_dir_ = berth_test_latch::dir_setting(ctx);
    }

private:
    const berth::context* ctx_ = nullptr;
    std::string latch_dir_;
    std::atomic<int> tally_{0};
};

}  // namespace

BERTH_PLUGIN(contract_probe)
