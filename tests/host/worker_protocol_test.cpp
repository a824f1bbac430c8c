// berth-worker spoken to directly over its channel (isolate/protocol.hpp), as berthd would:
// a socketpair on fd 3, the library image as a sealed memfd on fd 4.
#include "isolate/frame.hpp"
#include "isolate/protocol.hpp"
#include "support/test_host.hpp"

#include <gtest/gtest.h>

#include <fcntl.h>
#include <pwd.h>
#include <signal.h>
#include <spawn.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

extern char** environ;

namespace {

namespace isolate = berth::host::isolate;
namespace msg = berth::host::isolate::msg;
using nlohmann::json;

std::string file_bytes(const std::filesystem::path& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) throw std::runtime_error("cannot read " + path.string());
    std::ostringstream s;
    s << in.rdbuf();
    return std::move(s).str();
}

// Above the fds a gtest process may hold, so dup2 onto 3 and 4 always makes a fresh descriptor.
int high(int fd) {
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

std::string probe_image() { return file_bytes(berth::test::test_plugin("contract_probe")); }

// The index of a route in the manifest, as the host numbers them for `handle`.
std::int64_t route_index(const json& manifest, const std::string& method, const std::string& path) {
    const auto& routes = manifest.at("routes");
    for (std::size_t i = 0; i < routes.size(); ++i)
        if (routes[i].value("method", "") == method && routes[i].value("path", "") == path) return static_cast<std::int64_t>(i);
    throw std::runtime_error("no route " + method + " " + path + " in the manifest");
}

std::string body_text(const json& reply) {
    const auto& b = reply.at("body").get_binary();
    return std::string(b.begin(), b.end());
}

// Loaded, created, described, started and ready: the manifest it described.
json bring_up(worker_child& w) {
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

json get(worker_child& w, const json& manifest, const std::string& path_template, const std::string& path,
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

TEST(WorkerProtocol, LoadReportsThePluginsNameVersionAndFingerprint) {
    worker_child w(probe_image());
    auto r = w.load();
    ASSERT_TRUE(r.value("ok", false)) << r.dump();
    EXPECT_EQ(r.value("name", ""), "contract_probe");
    EXPECT_EQ(r.value("version", ""), "2.3.4");
    EXPECT_NE(r.value("fingerprint", "").find("arch="), std::string::npos);
}

TEST(WorkerProtocol, ServesAGetThroughTheWholeLifecycle) {
    worker_child w(probe_image());
    auto manifest = bring_up(w);
    EXPECT_GT(manifest.at("routes").size(), 5u);
    auto r = get(w, manifest, "/v1/items/{id}", "/v1/items/42", json::array({json::array({"id", "42"})}));
    ASSERT_TRUE(r.value("ok", false)) << r.dump();
    EXPECT_EQ(r.value("status", 0), 200);
    EXPECT_EQ(json::parse(body_text(r)), (json{{"route", "item"}, {"id", "42"}}));
}

TEST(WorkerProtocol, ABinaryBodyAndHeadersCrossBothWaysUnchanged) {
    worker_child w(probe_image());
    auto manifest = bring_up(w);
    const std::vector<std::uint8_t> bytes{0x00, 0xff, 0x80, '\r', '\n', 'b', 'e', 'r', 't', 'h', 0x00};
    auto r = w.ask({{"t", msg::handle},
                    {"route", route_index(manifest, "POST", "/v1/echo")},
                    {"method", "POST"},
                    {"target", "/v1/echo"},
                    {"path", "/v1/echo"},
                    {"headers", json::array({json::array({"x-probe", "seen"}),
                                             json::array({"content-type", "application/octet-stream"})})},
                    {"body", json::binary(bytes)},
                    {"request_id", "req-echo"}});
    ASSERT_TRUE(r.value("ok", false)) << r.dump();
    EXPECT_EQ(r.value("status", 0), 200);
    EXPECT_EQ(r.at("body").get_binary(), bytes);
    const auto& headers = r.at("headers");
    EXPECT_NE(std::find(headers.begin(), headers.end(), json::array({"X-Echo-Request-Id", "req-echo"})), headers.end())
        << headers.dump();
    EXPECT_NE(std::find(headers.begin(), headers.end(), json::array({"X-Probe-Seen", "seen"})), headers.end())
        << headers.dump();
}

TEST(WorkerProtocol, AHandlerFailureIsAnErrorReplyAndTheWorkerServesOn) {
    worker_child w(probe_image());
    auto manifest = bring_up(w);
    auto boom = get(w, manifest, "/v1/boom", "/v1/boom");
    EXPECT_FALSE(boom.value("ok", true)) << boom.dump();
    EXPECT_FALSE(boom.value("error", "").empty());
    auto ok = get(w, manifest, "/v1/items/{id}", "/v1/items/7", json::array({json::array({"id", "7"})}));
    EXPECT_EQ(ok.value("status", 0), 200) << ok.dump();
}

TEST(WorkerProtocol, APluginsCallGoesToTheHostForTheRequestItServes) {
    worker_child w(probe_image());
    auto manifest = bring_up(w);
    const std::int64_t handle_id = 77;
    w.send({{"t", msg::handle},
            {"id", handle_id},
            {"route", route_index(manifest, "GET", "/v1/relay")},
            {"method", "GET"},
            {"target", "/v1/relay"},
            {"path", "/v1/relay"},
            {"body", json::binary({})},
            {"request_id", "req-relay"}});
    auto call = w.next();
    ASSERT_EQ(call.value("t", ""), msg::call) << call.dump();
    EXPECT_EQ(call.value("for", std::int64_t{0}), handle_id);
    EXPECT_EQ(call.value("module", ""), "probe");
    EXPECT_EQ(call.value("target", ""), "/v1/whoami");
    EXPECT_EQ(call.value("request_id", ""), "req-relay");
    const std::string answer = R"({"caller":"probe","request_id":"req-relay"})";
    w.send({{"t", msg::reply},
            {"id", call.at("id")},
            {"ok", true},
            {"status", 200},
            {"headers", json::array({json::array({"content-type", "application/json"})})},
            {"body", json::binary(std::vector<std::uint8_t>(answer.begin(), answer.end()))}});
    auto r = w.next();
    ASSERT_EQ(r.value("id", std::int64_t{0}), handle_id) << r.dump();
    ASSERT_TRUE(r.value("ok", false)) << r.dump();
    EXPECT_EQ(json::parse(body_text(r)), (json{{"status", 200}, {"answer", json::parse(answer)}}));
}

TEST(WorkerProtocol, AFieldOfTheWrongTypeIsAnErrorReplyNotACrash) {
    worker_child w(probe_image());
    auto manifest = bring_up(w);
    auto r = w.ask({{"t", msg::handle}, {"route", "zero"}, {"method", "GET"}});
    EXPECT_FALSE(r.value("ok", true)) << r.dump();
    EXPECT_NE(r.value("error", "").find("route"), std::string::npos) << r.dump();
    EXPECT_TRUE(w.ask({{"t", msg::ping}}).value("ok", false));
}

TEST(WorkerProtocol, BytesThatAreNotALibraryFailAtDlopen) {
    worker_child w(file_bytes(std::filesystem::path(BERTH_SOURCE_DIR) / "README.md"));
    auto r = w.load();
    EXPECT_FALSE(r.value("ok", true));
    EXPECT_EQ(r.value("step", ""), "dlopen") << r.dump();
}

TEST(WorkerProtocol, ALibraryWithoutADescriptorFailsAtDescriptor) {
    worker_child w(file_bytes(BERTH_FOREIGN_SO));
    auto r = w.load();
    EXPECT_FALSE(r.value("ok", true));
    EXPECT_EQ(r.value("step", ""), "descriptor") << r.dump();
    EXPECT_NE(r.value("error", "").find("berth_plugin"), std::string::npos) << r.dump();
}

TEST(WorkerProtocol, ARunAsUserWithoutRootFailsAtWorker) {
    if (geteuid() == 0) GTEST_SKIP() << "runs as root: dropping to a user would succeed";
    worker_child w(probe_image());
    auto r = w.ask({{"t", msg::load}, {"module", "probe"}, {"threads", 1}, {"user", "nobody"}});
    EXPECT_FALSE(r.value("ok", true));
    EXPECT_EQ(r.value("step", ""), "worker") << r.dump();
    EXPECT_NE(r.value("error", "").find("root"), std::string::npos) << r.dump();
}

// The line of /proc/<pid>/<file> that starts with `key`.
std::string proc_line(pid_t pid, const std::string& file, const std::string& key) {
    std::ifstream in("/proc/" + std::to_string(pid) + "/" + file);
    for (std::string line; std::getline(in, line);)
        if (line.rfind(key, 0) == 0) return line;
    return {};
}

TEST(WorkerProtocol, LoadAppliesTheLimitsAndNamesTheProcessForTheModule) {
    worker_child w(probe_image());
    auto r = w.ask({{"t", msg::load}, {"module", "probe"}, {"threads", 1}, {"memory_limit_mb", 512}, {"max_open_files", 64}});
    ASSERT_TRUE(r.value("ok", false)) << r.dump();
    EXPECT_NE(proc_line(w.pid(), "limits", "Max open files").find(" 64 "), std::string::npos);
    EXPECT_NE(proc_line(w.pid(), "limits", "Max core file size").find(" 0 "), std::string::npos);
    EXPECT_EQ(proc_line(w.pid(), "status", "NoNewPrivs:"), "NoNewPrivs:\t1");
    EXPECT_EQ(proc_line(w.pid(), "comm", "berth:"), "berth:probe");
    const bool asan = !w.logs.empty() && w.logs.front().find("AddressSanitizer") != std::string::npos;
    if (!asan) EXPECT_NE(proc_line(w.pid(), "limits", "Max address space").find(" 536870912 "), std::string::npos);
}

TEST(WorkerProtocol, APingWaitsBehindTheRequestsOnTheHandlerThreads) {
    berth::test::temp_dir latches;
    worker_child w(probe_image());
    ASSERT_TRUE(w.ask({{"t", msg::load}, {"module", "probe"}, {"threads", 1}}).value("ok", false));
    ASSERT_TRUE(w.ask({{"t", msg::create}, {"settings", json{{"latch_dir", latches.path().string()}}.dump()}}).value("ok", false));
    auto d = w.ask({{"t", msg::describe}});
    ASSERT_TRUE(w.ask({{"t", msg::start}}).value("ok", false));
    auto manifest = json::parse(d.at("manifest").get<std::string>());
    w.send({{"t", msg::handle}, {"id", 500}, {"route", route_index(manifest, "GET", "/v1/latch/{name}")},
            {"method", "GET"}, {"target", "/v1/latch/held"}, {"path", "/v1/latch/held"},
            {"params", json::array({json::array({"name", "held"})})}});
    w.send({{"t", msg::ping}, {"id", 501}});
    std::ofstream(latches.path() / "held").flush();  // lets the request go
    auto first = w.next(), second = w.next();
    EXPECT_EQ(first.value("id", 0), 500) << first.dump();
    EXPECT_EQ(first.value("status", 0), 200) << first.dump();
    EXPECT_EQ(second.value("id", 0), 501) << second.dump();
    EXPECT_TRUE(second.value("ok", false)) << second.dump();
}

// The descriptor numbers a process holds.
std::vector<int> open_fds(pid_t pid) {
    std::vector<int> fds;
    for (const auto& e : std::filesystem::directory_iterator("/proc/" + std::to_string(pid) + "/fd"))
        fds.push_back(std::stoi(e.path().filename().string()));
    std::sort(fds.begin(), fds.end());
    return fds;
}

TEST(WorkerProtocol, ALoadedWorkerHoldsOnlyStdioAndItsChannel) {
    worker_child w(probe_image(), true, true);
    ASSERT_TRUE(w.load().value("ok", false));
    EXPECT_EQ(open_fds(w.pid()), (std::vector<int>{0, 1, 2, 3}));  // not the image (4), not the stray (7)
}

TEST(WorkerProtocol, AsRootTheWorkerDropsToTheUserBeforeItLoadsAndStillServes) {
    if (geteuid() != 0) GTEST_SKIP() << "needs root to change user";
    const passwd* nobody = getpwnam("nobody");
    ASSERT_NE(nobody, nullptr);
    const std::string id = std::to_string(nobody->pw_uid);
    worker_child w(probe_image());
    auto r = w.ask({{"t", msg::load}, {"module", "probe"}, {"threads", 1}, {"user", "nobody"}});
    ASSERT_TRUE(r.value("ok", false)) << r.dump();
    EXPECT_EQ(proc_line(w.pid(), "status", "Uid:"), "Uid:\t" + id + "\t" + id + "\t" + id + "\t" + id);
    ASSERT_TRUE(w.ask({{"t", msg::create}, {"settings", "{}"}}).value("ok", false));
    auto d = w.ask({{"t", msg::describe}});
    ASSERT_TRUE(d.value("ok", false)) << d.dump();
    auto manifest = json::parse(d.at("manifest").get<std::string>());
    auto got = get(w, manifest, "/v1/items/{id}", "/v1/items/5", json::array({json::array({"id", "5"})}));
    EXPECT_EQ(got.value("status", 0), 200) << got.dump();
}

TEST(WorkerProtocol, AnUnknownUserFailsAtWorker) {
    if (geteuid() != 0) GTEST_SKIP() << "without root every user fails the same way (ARunAsUserWithoutRootFailsAtWorker)";
    worker_child w(probe_image());
    auto r = w.ask({{"t", msg::load}, {"module", "probe"}, {"threads", 1}, {"user", "no-such-berth-user"}});
    EXPECT_FALSE(r.value("ok", true));
    EXPECT_EQ(r.value("step", ""), "worker") << r.dump();
    EXPECT_NE(r.value("error", "").find("does not exist"), std::string::npos) << r.dump();
}

TEST(WorkerProtocol, TheWorkerExitsWhenTheHostClosesItsChannel) {
    worker_child w(probe_image());
    bring_up(w);
    const int status = w.close_and_wait();
    ASSERT_TRUE(WIFEXITED(status)) << status;
    EXPECT_EQ(WEXITSTATUS(status), 0);
}

TEST(WorkerProtocol, TheWorkerExitsOnEndOfStreamEvenWithEveryHandlerThreadStuck) {
    berth::test::temp_dir latches;  // never opened: the request holds its thread
    worker_child w(probe_image());
    ASSERT_TRUE(w.ask({{"t", msg::load}, {"module", "probe"}, {"threads", 1}}).value("ok", false));
    ASSERT_TRUE(w.ask({{"t", msg::create}, {"settings", json{{"latch_dir", latches.path().string()}}.dump()}}).value("ok", false));
    auto d = w.ask({{"t", msg::describe}});
    ASSERT_TRUE(w.ask({{"t", msg::start}}).value("ok", false));
    auto manifest = json::parse(d.at("manifest").get<std::string>());
    w.send({{"t", msg::handle}, {"id", 900}, {"route", route_index(manifest, "GET", "/v1/latch/{name}")},
            {"method", "GET"}, {"target", "/v1/latch/stuck"}, {"path", "/v1/latch/stuck"},
            {"params", json::array({json::array({"name", "stuck"})})}});
    const int status = w.close_and_wait();  // the latch waits 30 s: only _exit ends it sooner
    ASSERT_TRUE(WIFEXITED(status)) << status;
    EXPECT_EQ(WEXITSTATUS(status), 0);
}

TEST(WorkerProtocol, TheWorkerRefusesToRunWithoutItsChannel) {
    worker_child w(probe_image(), false);
    const int status = w.wait();
    ASSERT_TRUE(WIFEXITED(status)) << status;
    EXPECT_EQ(WEXITSTATUS(status), 2);
}

}  // namespace
