// greeter: the smallest useful module, and the example the plugin authoring guide walks
// through. It greets by name and keeps a count of greetings it has given.
#include <berth/plugin.hpp>

#include <atomic>

namespace {

class greeter final : public berth::plugin {
public:
    static constexpr berth::manifest manifest{"greeter", "1.0.0"};

    void routes(berth::router& r) override {
        r.get("/v1/greetings/{name}", [this](const berth::request& req) { return greet(req.param("name")); })
            .summary("Greets someone by name")
            .operation_id("getGreeting");

        r.post("/v1/greetings", [this](const berth::request& req) {
             auto& body = req.json();
             auto res = greet(body.at("name").get<std::string>());
             res.status = 201;
             return res;
         })
            .summary("Composes a greeting for the person in the body")
            .operation_id("composeGreeting")
            .schema({{"type", "object"},
                     {"required", {"name"}},
                     {"additionalProperties", false},
                     {"properties", {{"name", {{"type", "string"}, {"minLength", 1}, {"maxLength", 100}}}}}});

        r.get("/v1/stats", [this](const berth::request&) {
             return berth::response::json(200, {{"greetings", count_.load()}});
         }).summary("How many greetings this generation has given");
    }

    void start(const berth::context& ctx) override {
        salutation_ = ctx.settings().value("salutation", std::string("Hello"));
        ctx.log(berth::log_level::info, "greeting with '" + salutation_ + "'");
    }

private:
    berth::response greet(std::string_view name) {
        ++count_;
        return berth::response::json(200, {{"greeting", salutation_ + ", " + std::string(name) + "!"}});
    }

    std::string salutation_ = "Hello";
    std::atomic<long> count_{0};
};

}  // namespace

BERTH_PLUGIN(greeter)
