// swap_probe: built several times from this one source (see tests/CMakeLists.txt) so tests
// and bench/swap can swap between real, different builds of "the same" module.
//   SWAP_PROBE_VERSION  the version it reports
//   SWAP_PROBE_READY    0 ready at once, 1 never ready, 2 ready only after 5 s, 3 start() fails
#include <berth/plugin.hpp>

#include "latch.hpp"

#include <chrono>
#include <stdexcept>
#include <thread>

#ifndef SWAP_PROBE_VERSION
#define SWAP_PROBE_VERSION "1.0.0"
#endif
#ifndef SWAP_PROBE_READY
#define SWAP_PROBE_READY 0
#endif

namespace {

class swap_probe final : public berth::plugin {
public:
    static constexpr berth::manifest manifest{"swap_probe", SWAP_PROBE_VERSION};

    void routes(berth::router& r) override {
        r.get("/v1/version", [](const berth::request&) {
            return berth::response::json(200, {{"version", SWAP_PROBE_VERSION}});
        });
        r.get("/v1/slow", [](const berth::request& req) {
            int ms = std::stoi(std::string(req.query("ms").value_or("100")));
            std::this_thread::sleep_for(std::chrono::milliseconds(ms));
            return berth::response::json(200, {{"version", SWAP_PROBE_VERSION}, {"slept_ms", ms}});
        });
        berth_test_latch::add_routes(r, latch_dir_);
    }

    void start(const berth::context& ctx) override {
        if (SWAP_PROBE_READY == 3) throw std::runtime_error("database unreachable (on purpose)");
        latch_dir_ = berth_test_latch::dir_setting(ctx);
    }

    bool ready() override {
        if (SWAP_PROBE_READY == 1) return false;
        if (SWAP_PROBE_READY == 2) std::this_thread::sleep_for(std::chrono::seconds(5));
        return true;
    }

private:
    std::string latch_dir_;
};

}  // namespace

BERTH_PLUGIN(swap_probe)
