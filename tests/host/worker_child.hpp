// berth-worker as a test's child, spoken to over its channel (isolate/protocol.hpp) as berthd
// would: a socketpair on fd 3, the library image as a sealed memfd on fd 4.
#pragma once

#include "isolate/frame.hpp"
#include "isolate/protocol.hpp"
#include "support/test_host.hpp"

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fstream>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

extern char** environ;

namespace berth::test::worker {

namespace isolate = berth::host::isolate;
namespace msg = berth::host::isolate::msg;
using nlohmann::json;

inline std::string file_bytes(const std::filesystem::path& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) throw std::runtime_error("cannot read " + path.string());
    std::ostringstream s;
    s << in.rdbuf();
    return std::move(s).str();
}

// Above the fds a gtest process may hold, so dup2 onto 3 and 4 always makes a fresh descriptor.
inline int high(int fd) {
    int moved = fcntl(fd, F_DUPFD_CLOEXEC, 20);
    close(fd);
    if (moved < 0) throw std::runtime_error("F_DUPFD_CLOEXEC failed");
    return moved;
}

// One berth-worker child: the host's end of its channel, and always killed and reaped.
class worker_child {
public:
    // `channel` false: spawned with nothing on fd 3, as someone starting it by hand would.
    // `stray` leaves one more descriptor open in the child (fd 7), as a careless spawner might.
    explicit worker_child(const std::string& image, bool channel = true, bool stray = false) {
        int pair[2];
        if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, pair) != 0) throw std::runtime_error("socketpair");
        host_ = high(pair[0]);
        const int theirs = high(pair[1]);
        const int memfd = high(memfd_create("berth-test-image", MFD_CLOEXEC | MFD_ALLOW_SEALING));
        if (write(memfd, image.data(), image.size()) != static_cast<ssize_t>(image.size()))
            throw std::runtime_error("memfd write");
        fcntl(memfd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE | F_SEAL_SEAL);
        posix_spawn_file_actions_t actions;
        posix_spawn_file_actions_init(&actions);
        if (channel) {
            posix_spawn_file_actions_adddup2(&actions, theirs, 3);
        } else {  // fd 3 is not a socket, and the refusal it prints stays out of the test log
            posix_spawn_file_actions_addopen(&actions, 3, "/dev/null", O_RDONLY, 0);
            posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0);
        }
        posix_spawn_file_actions_adddup2(&actions, memfd, 4);
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
        posix_spawn_file_actions_addclosefrom_np(&actions, 5);
        if (stray) posix_spawn_file_actions_adddup2(&actions, 4, 7);
        std::vector<char*> argv{const_cast<char*>(BERTH_WORKER_PATH), const_cast<char*>("--module"),
                                const_cast<char*>("probe"), nullptr};
        const int rc = posix_spawn(&pid_, BERTH_WORKER_PATH, &actions, nullptr, argv.data(), environ);
        posix_spawn_file_actions_destroy(&actions);
        close(theirs);
        close(memfd);
        if (rc != 0) throw std::runtime_error("posix_spawn berth-worker failed");
    }
    ~worker_child() {
        if (host_ >= 0) close(host_);
        if (pid_ > 0) {
            kill(pid_, SIGKILL);
            waitpid(pid_, nullptr, 0);
        }
    }
    worker_child(const worker_child&) = delete;
    worker_child& operator=(const worker_child&) = delete;

    void send(json m) { isolate::write_frame(host_, m); }
    json next() {
        auto m = isolate::read_frame(host_);
        if (!m) throw std::runtime_error("the worker closed its channel");
        return *m;
    }
    // Sends a request and returns the reply to it; the worker's log lines on the way are kept.
    json ask(json m) {
        const std::int64_t id = next_id_++;
        m["id"] = id;
        send(m);
        for (;;) {
            auto r = next();
            if (r.value("t", "") == msg::reply && r.value("id", std::int64_t{-1}) == id) return r;
            if (r.value("t", "") == msg::log) logs.push_back(r.value("message", ""));
            else others.push_back(r);
        }
    }
    json load() {
        return ask({{"t", msg::load}, {"module", "probe"}, {"data_dir", "/tmp"}, {"threads", 2},
                    {"memory_limit_mb", 0}, {"max_open_files", 256}, {"user", ""}});
    }
    // Closes the host's end and waits for the worker to exit: its wait status.
    int close_and_wait() {
        close(host_);
        host_ = -1;
        int status = 0;
        waitpid(pid_, &status, 0);
        pid_ = -1;
        return status;
    }
    int wait() {
        int status = 0;
        waitpid(pid_, &status, 0);
        pid_ = -1;
        return status;
    }

    pid_t pid() const { return pid_; }

    std::vector<std::string> logs;
    std::vector<json> others;

private:
    pid_t pid_ = -1;
    int host_ = -1;
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

// Loaded, created, described, started and ready: the manifest it described.
inline json bring_up(worker_child& w) {
    auto must = [](const json& r, const char* step) {
        if (!r.value("ok", false)) throw std::runtime_error(std::string(step) + " failed: " + r.dump());
        return r;
    };
    must(w.load(), "load");
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
