// berth-worker as a test's child, started as berthd starts it (isolate::spawn_worker: the
// channel on fd 3, the library image as a sealed memfd on fd 4) and spoken to over its channel
// (isolate/protocol.hpp) as berthd would.
#pragma once

#include "isolate/frame.hpp"
#include "isolate/protocol.hpp"
#include "isolate/worker_process.hpp"
#include "support/test_host.hpp"

#include <poll.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <memory>
#include <optional>
#include <sstream>
#include <stdexcept>
#include <string>
#include <variant>
#include <vector>

namespace berth::test::worker {

namespace isolate = berth::host::isolate;
namespace msg = berth::host::isolate::msg;
using nlohmann::json;
using std::chrono::milliseconds;

inline std::string file_bytes(const std::filesystem::path& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) throw std::runtime_error("cannot read " + path.string());
    std::ostringstream s;
    s << in.rdbuf();
    return std::move(s).str();
}

// A failure bound, not a pace: how long a test waits for what should come at once.
inline constexpr milliseconds patience{30'000};

// One berth-worker child: the host's end of its channel, and always killed and reaped.
class worker_child {
public:
    // `redirections` (sh syntax, e.g. "7<&4"): started through a shell that applies them to the
    // worker as it execs it, as someone starting it by hand or a careless spawner would.
    explicit worker_child(const std::string& image, const std::string& redirections = "") {
        auto sealed = isolate::sealed_image(image);
        if (auto* why = std::get_if<std::string>(&sealed)) throw std::runtime_error(*why);
        std::filesystem::path executable = BERTH_WORKER_PATH;
        if (!redirections.empty()) {
            wrapper_dir_ = std::make_unique<temp_dir>();
            executable = wrapper_dir_->path() / "by-hand";
            std::ofstream(executable) << "#!/bin/sh\nexec '" << BERTH_WORKER_PATH << "' \"$@\" " << redirections << "\n";
            chmod(executable.c_str(), 0700);
        }
        auto spawned = isolate::spawn_worker(executable, "probe", std::get<isolate::unique_fd>(sealed).get());
        if (auto* why = std::get_if<std::string>(&spawned)) throw std::runtime_error(*why);
        auto& s = std::get<isolate::spawned>(spawned);
        pid_ = s.pid;
        host_ = std::move(s.channel);
    }
    ~worker_child() {
        host_.reset();
        if (pid_ > 0) isolate::kill_and_reap(pid_);
    }
    worker_child(const worker_child&) = delete;
    worker_child& operator=(const worker_child&) = delete;

    void send(json m) { isolate::write_frame(host_.get(), m); }

    // The first message `wanted` picks, if one comes within `limit`; log lines on the way are
    // kept in `logs`, every other message in `others`.
    template <class Pred>
    std::optional<json> await(Pred wanted, milliseconds limit = patience) {
        const auto until = std::chrono::steady_clock::now() + limit;
        for (;;) {
            const auto left = std::chrono::duration_cast<milliseconds>(until - std::chrono::steady_clock::now());
            pollfd p{host_.get(), POLLIN, 0};
            if (left.count() <= 0 || ::poll(&p, 1, static_cast<int>(left.count())) <= 0) return std::nullopt;
            auto m = isolate::read_frame(host_.get());
            if (!m) throw std::runtime_error("the worker closed its channel");
            if (wanted(*m)) return m;
            if (m->value("t", "") == msg::log) logs.push_back(m->value("message", ""));
            else others.push_back(std::move(*m));
        }
    }
    // The reply to request `id` within `limit`.
    std::optional<json> reply_to(std::int64_t id, milliseconds limit = patience) {
        return await([id](const json& m) { return m.value("t", "") == msg::reply && m.value("id", std::int64_t{-1}) == id; },
                     limit);
    }
    // The next message of type `t` within `limit`.
    std::optional<json> next_of(std::string_view t, milliseconds limit = patience) {
        return await([t](const json& m) { return m.value("t", "") == t; }, limit);
    }
    // The next message, whatever it is.
    json next() {
        auto m = await([](const json&) { return true; });
        if (!m) throw std::runtime_error("no message from the worker within 30 s");
        return *m;
    }
    // Sends a request and returns the reply to it.
    json ask(json m) {
        const std::int64_t id = next_id_++;
        m["id"] = id;
        send(m);
        auto r = reply_to(id);
        if (!r) throw std::runtime_error("no reply to " + m.value("t", std::string("?")) + " within 30 s");
        return *r;
    }
    json load(int threads = 2) {
        return ask({{"t", msg::load}, {"module", "probe"}, {"data_dir", "/tmp"}, {"threads", threads},
                    {"memory_limit_mb", 0}, {"max_open_files", 256}, {"user", ""}});
    }
    // Closes the host's end: the worker's wait status if it exits within `limit`.
    std::optional<int> close_and_wait(milliseconds limit = patience) {
        host_.reset();
        return wait(limit);
    }
    // Its wait status if it exits within `limit` (reaped then), else nullopt (still running).
    std::optional<int> wait(milliseconds limit = patience) {
        if (!isolate::exits_within(pid_, limit)) return std::nullopt;
        int status = 0;
        ::waitpid(pid_, &status, 0);
        pid_ = -1;
        return status;
    }

    pid_t pid() const { return pid_; }

    std::vector<std::string> logs;
    std::vector<json> others;

private:
    std::unique_ptr<temp_dir> wrapper_dir_;
    pid_t pid_ = -1;
    isolate::unique_fd host_;
    std::int64_t next_id_ = 1;
};

inline std::string probe_image() { return file_bytes(berth::test::test_plugin("contract_probe")); }

// The index of a route in the manifest, as the host numbers them for `handle`.
inline std::int64_t route_index(const json& manifest, const std::string& method, const std::string& path) {
    const auto& routes = manifest.at("routes");
    for (std::size_t i = 0; i < routes.size(); ++i)
        if (routes[i].value("method", "") == method && routes[i].value("path", "") == path) return static_cast<std::int64_t>(i);
    throw std::runtime_error("no route " + method + " " + path + " in the manifest");
}

inline std::string body_text(const json& reply) {
    const auto& b = reply.at("body").get_binary();
    return std::string(b.begin(), b.end());
}

// Loaded (with `threads` handler threads), created, described, started and ready: the manifest
// it described.
inline json bring_up(worker_child& w, int threads = 2) {
    auto must = [](const json& r, const char* step) {
        if (!r.value("ok", false)) throw std::runtime_error(std::string(step) + " failed: " + r.dump());
        return r;
    };
    must(w.load(threads), "load");
    must(w.ask({{"t", msg::create}, {"settings", "{}"}, {"database", ""}}), "create");
    auto described = must(w.ask({{"t", msg::describe}}), "describe");
    must(w.ask({{"t", msg::start}}), "start");
    must(w.ask({{"t", msg::ready}}), "ready");
    return json::parse(described.at("manifest").get<std::string>());
}

inline json get(worker_child& w, const json& manifest, const std::string& path_template, const std::string& path,
         json params = json::array()) {
    return w.ask({{"t", msg::handle},
                  {"route", route_index(manifest, "GET", path_template)},
                  {"method", "GET"},
                  {"target", path},
                  {"path", path},
                  {"params", params},
                  {"query", json::array()},
                  {"headers", json::array({json::array({"accept", "application/json"})})},
                  {"body", json::binary({})},
                  {"request_id", "req-1"},
                  {"subject", ""},
                  {"scopes", ""},
                  {"caller", ""}});
}

}  // namespace berth::test::worker
