// failing_start: a well-formed plugin whose start() throws.
#include <berth/plugin.hpp>

#include <stdexcept>

namespace {
class failing_start final : public berth::plugin {
public:
    static constexpr berth::manifest manifest{"failing_start", "0.0.1"};
    void routes(berth::router& r) override {
        r.get("/v1/never", [](const berth::request&) { return berth::response::no_content(); });
    }
    void start(const berth::context&) override { throw std::runtime_error("database unreachable (on purpose)"); }
};
}  // namespace

BERTH_PLUGIN(failing_start)
