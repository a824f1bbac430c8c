// fault: a test plugin that fails on request, the way third-party code fails, so the tests of
// process isolation (tests/host/isolation_*_test.cpp, tests/process/isolation_process_test.cpp)
// can show that a worker process keeps the failure to itself.
//   GET  /v1/ok              {"ok": true, "version": ...}
//   GET  /v1/pid             {"pid": the process the handler runs in}
//   POST /v1/fault/segfault  writes through a null pointer
//   POST /v1/fault/abort     abort()
//   POST /v1/fault/exit      exit(3)
//   POST /v1/fault/alloc     allocates and touches 64 MiB chunks without bound (the setting
//                            alloc_cap_mb, if given, stops it there with a 200: a guard so that a
//                            test whose memory limit did not apply fails instead of filling the machine)
//   POST /v1/fault/stack     recurses without bound
//   POST /v1/fault/hang      blocks its handler thread forever
//   GET  /v1/hanging         {"hanging": how many handlers of this process block in /v1/fault/hang}
//                            (a test that kills the worker under a hung request waits for it: the
//                            host counts a request in flight before the worker has it)
//   POST /v1/fault/fork      forks a child that sleeps forever holding the worker's descriptors
//                            (its channel, fd 3 in a worker); answers {"child": its pid}
// Never send a fault to it in-process unless taking the host down is the point.
#include <berth/plugin.hpp>

#include <unistd.h>

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <mutex>
#include <vector>

#ifndef FAULT_VERSION
#define FAULT_VERSION "1.0.0"
#endif

namespace {

// Read through volatile so the compiler can prove neither the null write nor the recursion's end.
int* volatile null_target = nullptr;
volatile std::uint64_t recursion_end = UINT64_MAX;

[[gnu::noinline]] std::uint64_t dive(std::uint64_t depth) {
    volatile char frame[512];  // a real frame per call, written so it is not optimised away
    frame[depth % sizeof frame] = static_cast<char>(depth);
    if (depth == recursion_end) return 0;
    return dive(depth + 1) + static_cast<std::uint64_t>(frame[depth % sizeof frame]);  // not a tail call
}

std::atomic<int> hanging{0};

[[noreturn]] void hang_forever() {
    ++hanging;
    static std::mutex m;
    static std::condition_variable never;
    std::unique_lock lock(m);
    for (;;) never.wait(lock);
}

constexpr std::size_t chunk_bytes = std::size_t{64} << 20;

class fault final : public berth::plugin {
public:
    static constexpr berth::manifest manifest{"fault", FAULT_VERSION};

    void routes(berth::router& r) override {
        r.get("/v1/ok", [](const berth::request&) {
             return berth::response::json(200, {{"ok", true}, {"version", FAULT_VERSION}});
         }).summary("Answers 200");
        r.get("/v1/pid", [](const berth::request&) {
             return berth::response::json(200, {{"pid", static_cast<long>(::getpid())}});
         }).summary("The process id the handler runs in");
        r.post("/v1/fault/segfault", [](const berth::request&) -> berth::response {
             *null_target = 1;
             return berth::response::no_content();
         }).summary("Writes through a null pointer");
        r.post("/v1/fault/abort", [](const berth::request&) -> berth::response { std::abort(); })
            .summary("Calls abort()");
        r.post("/v1/fault/exit", [](const berth::request&) -> berth::response { std::exit(3); })
            .summary("Calls exit(3)");
        r.post("/v1/fault/alloc", [this](const berth::request&) {
             std::vector<std::unique_ptr<char[]>> held;
             while (alloc_cap_mb_ == 0 || held.size() * 64 < alloc_cap_mb_) {
                 held.emplace_back(new char[chunk_bytes]);  // throws std::bad_alloc at the limit
                 std::memset(held.back().get(), 0x5a, chunk_bytes);
             }
             return berth::response::json(200, {{"allocated_mb", held.size() * 64}});
         }).summary("Allocates and touches memory without bound");
        r.post("/v1/fault/stack", [](const berth::request&) {
             return berth::response::json(200, {{"depth", dive(0)}});
         }).summary("Recurses without bound");
        r.post("/v1/fault/hang", [](const berth::request&) -> berth::response { hang_forever(); })
            .summary("Blocks its handler thread forever");
        r.get("/v1/hanging", [](const berth::request&) {
             return berth::response::json(200, {{"hanging", hanging.load()}});
         }).summary("How many handlers block in /v1/fault/hang");
        r.post("/v1/fault/fork", [](const berth::request&) {
             const pid_t child = ::fork();
             if (child == 0)
                 for (;;) ::pause();  // async-signal-safe: the parent has threads
             return berth::response::json(200, {{"child", static_cast<long>(child)}});
         }).summary("Forks a child that sleeps forever holding the process's descriptors");
    }

    void start(const berth::context& ctx) override {
        auto cap = ctx.settings().value("alloc_cap_mb", nlohmann::json(0));
        alloc_cap_mb_ = cap.is_number_unsigned() ? cap.get<std::size_t>() : 0;
    }

private:
    std::size_t alloc_cap_mb_ = 0;  // 0: no guard
};

}  // namespace

BERTH_PLUGIN(fault)
