// Named latches for the test plugins: a request that holds until the test lets it go, so a
// test waits on state (in flight, draining, a lease taken) instead of on a handler's sleep.
// A latch is the file <latch_dir>/<name> (the module setting latch_dir): on disk rather than in
// memory so that a test can open it while the module refuses requests (at capacity, draining,
// its port closed), and every generation of the module sees the same one.
//   GET  /v1/latch/{name}          waits until the latch is open (30 s at most), then answers
//   POST /v1/latch/{name}/release  opens it
#pragma once

#include <berth/plugin.hpp>

#include <fcntl.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <string>
#include <string_view>
#include <thread>

namespace berth_test_latch {

inline constexpr auto max_wait = std::chrono::seconds(30);  // a failing test cannot hang on one

// 1..32 of [a-z0-9_-]: a file name, never a path.
inline std::filesystem::path file_of(const std::string& dir, std::string_view name) {
    if (dir.empty()) throw berth::http_error(409, "No latch directory", "set the module setting latch_dir");
    bool ok = !name.empty() && name.size() <= 32;
    for (char c : name) ok = ok && ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-');
    if (!ok) throw berth::http_error(400, "Bad latch name", "1 to 32 of a-z, 0-9, _ and -");
    return std::filesystem::path(dir) / std::string(name);
}

// Whether the latch opened before max_wait; polls, since the test opens it from outside.
inline bool wait(const std::string& dir, std::string_view name) {
    const auto file = file_of(dir, name);
    const auto until = std::chrono::steady_clock::now() + max_wait;
    while (!std::filesystem::exists(file)) {
        if (std::chrono::steady_clock::now() >= until) return false;
        std::this_thread::sleep_for(std::chrono::milliseconds(2));
    }
    return true;
}

inline void open(const std::string& dir, std::string_view name) {
    const int fd = ::open(file_of(dir, name).c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
    if (fd < 0) throw berth::http_error(500, "Latch not opened");
    ::close(fd);
}

// The two routes; `dir` is read at request time (the setting is known only at start()).
inline void add_routes(berth::router& r, const std::string& dir) {
    r.get("/v1/latch/{name}", [&dir](const berth::request& req) {
        const bool released = wait(dir, req.param("name"));
        return berth::response::json(released ? 200 : 504, {{"latch", req.param("name")}, {"released", released}});
    });
    r.post("/v1/latch/{name}/release", [&dir](const berth::request& req) {
        open(dir, req.param("name"));
        return berth::response::json(200, {{"latch", req.param("name")}, {"released", true}});
    });
}

inline std::string dir_setting(const berth::context& ctx) {
    auto v = ctx.settings().value("latch_dir", nlohmann::json(""));
    return v.is_string() ? v.get<std::string>() : std::string();
}

}  // namespace berth_test_latch
