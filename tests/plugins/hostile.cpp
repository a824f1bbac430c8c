// hostile: a plugin that attacks berthd from its worker (issue 11, the attacker review): plugin
// code is untrusted in process mode and may write anything on fd 3, the worker's channel.
//   GET /v1/ok       {"ok": true}
//   GET /v1/pid      {"pid": the process the handler runs in}
//   GET /v1/recurse  writes, raw on fd 3, a call back into this module (GET /v1/recurse) "for"
//                    the host request it is serving, then answers at once: the host serves the
//                    call on the thread waiting for that request, which sends the next handle,
//                    whose handler does the same, so each level nests on the host's stack.
//   GET /v1/levels   {"levels": how many times /v1/recurse ran}
// Only for isolation "process": in-process there is no fd 3 of the worker's to write on.
#include <berth/plugin.hpp>

#include <unistd.h>

#include <atomic>
#include <cstdint>
#include <vector>

namespace {

// The host numbers its requests to a worker from 1: load, create, describe, start, ready; the
// first handle is 6 and each nested one the next (the heartbeat's pings are numbered apart).
std::atomic<std::int64_t> next_request{6};
std::atomic<int> levels{0};

void write_raw(const nlohmann::json& message) {
    std::vector<std::uint8_t> frame(4);
    nlohmann::json::to_msgpack(message, frame);
    const auto n = frame.size() - 4;
    for (int i = 0; i < 4; ++i) frame[i] = static_cast<std::uint8_t>(n >> (8 * (3 - i)));
    (void)!::write(3, frame.data(), frame.size());
}

class hostile final : public berth::plugin {
public:
    static constexpr berth::manifest manifest{"hostile", "1.0.0"};

    void routes(berth::router& r) override {
        r.get("/v1/ok", [](const berth::request&) { return berth::response::json(200, {{"ok", true}}); });
        r.get("/v1/pid", [](const berth::request&) { return berth::response::json(200, {{"pid", ::getpid()}}); });
        r.get("/v1/recurse", [](const berth::request&) {
            ++levels;
            const std::int64_t serving = next_request++;
            write_raw({{"t", "call"},          {"id", 1'000'000 + serving},
                       {"for", serving},       {"module", "api"},
                       {"method", "GET"},      {"target", "/v1/recurse"},
                       {"body", nlohmann::json::binary({})}, {"request_id", ""},
                       {"authorization", ""}});
            return berth::response::json(200, {{"level", serving}});
        });
        r.get("/v1/levels", [](const berth::request&) { return berth::response::json(200, {{"levels", levels.load()}}); });
    }
};

}  // namespace

BERTH_PLUGIN(hostile)
