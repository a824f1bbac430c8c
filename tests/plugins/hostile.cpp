// hostile: a plugin that attacks berthd from its worker (issue 11, the attacker review): plugin
// code is untrusted in process mode and may write anything on fd 3, the worker's channel.
//   GET /v1/ok       {"ok": true}
//   GET /v1/pid      {"pid": the process the handler runs in}
//   GET /v1/recurse  calls GET /v1/recurse of this same module through the host (the SDK's call,
//                    which waits for the answer), so each level's call is served on the host
//                    thread waiting for the level before: every level nests on that one stack.
//   GET /v1/levels   {"levels": how many times /v1/recurse ran}
// Only for isolation "process": in-process there is no fd 3 of the worker's to write on.
#include <berth/plugin.hpp>

#include <unistd.h>

#include <atomic>
#include <cstdint>
#include <vector>

namespace {

std::atomic<int> levels{0};

class hostile final : public berth::plugin {
public:
    static constexpr berth::manifest manifest{"hostile", "1.0.0"};

    void start(const berth::context& ctx) override { ctx_ = &ctx; }

    void routes(berth::router& r) override {
        r.get("/v1/ok", [](const berth::request&) { return berth::response::json(200, {{"ok", true}}); });
        r.get("/v1/pid", [](const berth::request&) { return berth::response::json(200, {{"pid", ::getpid()}}); });
        r.get("/v1/recurse", [this](const berth::request&) {
            const int level = ++levels;
            try {
                auto answer = ctx_->call("api", "GET", "/v1/recurse");
                return berth::response::json(200, {{"level", level}, {"below", answer.status}});
            } catch (const std::exception&) {  // the host refused to nest deeper
                return berth::response::json(200, {{"level", level}, {"below", "refused"}});
            }
        });
        r.get("/v1/levels", [](const berth::request&) { return berth::response::json(200, {{"levels", levels.load()}}); });
    }

private:
    const berth::context* ctx_ = nullptr;
};

}  // namespace

BERTH_PLUGIN(hostile)
