// stuck_ready: a plugin whose ready() never returns, so a test can show that in a worker process
// the host bounds the call (decision D6): the worker is ended at ready_timeout_ms, not kept by a
// generation abandoned while it waits.
//   GET /v1/ok  200 (never served: the plugin is never ready)
#include <berth/plugin.hpp>

#include <condition_variable>
#include <mutex>

namespace {

class stuck_ready final : public berth::plugin {
public:
    static constexpr berth::manifest manifest{"stuck_ready", "1.0.0"};
    void routes(berth::router& r) override {
        r.get("/v1/ok", [](const berth::request&) { return berth::response::no_content(); });
    }
    bool ready() override {
        static std::mutex m;
        static std::condition_variable never;
        std::unique_lock lock(m);
        for (;;) never.wait(lock);
    }
};

}  // namespace

BERTH_PLUGIN(stuck_ready)
