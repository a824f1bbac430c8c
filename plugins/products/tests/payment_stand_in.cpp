// A stand-in for the payment module in products' tests: whatever it is sent at POST /v1/call
// ({"method", "target", "body"?}) it asks of products in-process, as the module it is
// configured as, and answers what products answered. Test-only; never shipped.
#include <berth/plugin.hpp>

namespace {

class payment_stand_in final : public berth::plugin {
public:
    static constexpr berth::manifest manifest{"products_payment_stand_in", "1.0.0"};

    void routes(berth::router& r) override {
        r.post("/v1/call", [this](const berth::request& req) {
             auto& in = req.json();
             auto answer = ctx_->call("products", in.at("method").get<std::string>(), in.at("target").get<std::string>(),
                                      in.value("body", nlohmann::json()), req.request_id());
             berth::response out{answer.status, {{"Content-Type", "application/json"}}, answer.body};
             for (auto& [name, value] : answer.headers)
                 if (name == "Location") out.header(name, value);
             return out;
         }).takes("application/json");
    }
    void start(const berth::context& ctx) override { ctx_ = &ctx; }
    void stop() override {}

private:
    const berth::context* ctx_ = nullptr;
};

}  // namespace

BERTH_PLUGIN(payment_stand_in)
