// Issue 11, the host side: a module with "isolation": "process" serves from a worker process
// of its own; a worker killed from outside is restarted and the admin API says so; a swap starts
// a new worker and reaps the old one; a request in flight when its worker dies gets a 502; a
// host that stops leaves no worker behind. (The fault plugin's tests are tests/process.)
#include "support/eventually.hpp"
#include "support/http_client.hpp"
#include "support/test_host.hpp"

#include <gtest/gtest.h>

#include <signal.h>
#include <unistd.h>

#include <cerrno>
#include <filesystem>
#include <fstream>
#include <future>
#include <memory>

namespace berth::test {
namespace {

namespace fs = std::filesystem;

// True once no process has that id any more: exited and reaped (a zombie still answers kill 0).
bool gone(int pid) { return ::kill(pid, 0) != 0 && errno == ESRCH; }

nlohmann::json process_module() {
    return {{"isolation", "process"}, {"process", {{"heartbeat_interval_ms", 200}, {"heartbeat_timeout_ms", 2000}}}};
}

class Isolation : public ::testing::Test {
protected:
    void start(const std::string& worker = BERTH_WORKER_PATH, const nlohmann::json& process = {}) {
        auto api = process_module();
        if (process.is_object()) api["process"].merge_patch(process);
        host_ = std::make_unique<test_host>(
            std::vector<plugin_spec>{{"api", test_plugin("versioned_1_0"), api},
                                     {"local", test_plugin("versioned_2_0")}},
            nlohmann::json{{"worker_executable", worker}, {"drain_timeout_ms", 5000}});
    }
    nlohmann::json status(const std::string& module = "api") { return host_->admin("GET", "/modules/" + module).json(); }
    nlohmann::json worker() { return status()["active"]["worker"]; }
    int worker_pid() { return worker()["pid"].get<int>(); }
    reply get(const std::string& target) { return http_request(host_->port("api"), "GET", target); }

    std::unique_ptr<test_host> host_;
};

TEST_F(Isolation, AProcessModuleServesFromAWorkerProcessOfItsOwn) {
    start();
    auto r = get("/v1/version");
    ASSERT_EQ(r.status, 200) << r.body;
    EXPECT_EQ(r.json()["version"], "1.0.0");
    auto s = status();
    EXPECT_EQ(s["active"]["isolation"], "process");
    EXPECT_EQ(s["active"]["worker"]["state"], "serving");
    const int pid = worker_pid();
    EXPECT_GT(pid, 0);
    EXPECT_NE(pid, ::getpid());
    EXPECT_EQ(fs::read_symlink("/proc/" + std::to_string(pid) + "/exe").filename(), "berth-worker");
    // The in-process module beside it has no worker.
    EXPECT_EQ(status("local")["active"]["isolation"], "in-process");
    EXPECT_FALSE(status("local")["active"].contains("worker"));
}

TEST_F(Isolation, AnIsolatedModuleCallsAnotherModuleThroughTheHost) {
    start();
    auto r = get("/v1/relay?to=local&path=/v2/version");
    ASSERT_EQ(r.status, 200) << r.body;
    EXPECT_EQ(r.json()["status"], 200);
    EXPECT_EQ(r.json()["body"]["version"], "2.0.0");
}

TEST_F(Isolation, TheWorkerHoldsNoDescriptorOfTheHostBeyondItsChannelAndImage) {
    start();
    const int pid = worker_pid();
    std::vector<int> fds;
    for (auto& e : fs::directory_iterator("/proc/" + std::to_string(pid) + "/fd")) fds.push_back(std::stoi(e.path().filename()));
    // 0-2, the channel (3); the image (4) may be closed once mapped; nothing of berthd's listeners.
    for (int fd : fds) EXPECT_LE(fd, 4) << "the worker holds fd " << fd;
}

TEST_F(Isolation, AWorkerKilledFromOutsideIsRestartedAndTheAdminApiSaysHow) {
    start();
    const int first = worker_pid();
    ASSERT_GT(first, 0);
    ASSERT_EQ(::kill(first, SIGKILL), 0);
    ASSERT_TRUE(eventually([&] {
        auto w = worker();
        return w["state"] == "serving" && w["pid"].get<int>() != first;
    })) << status().dump();
    auto w = worker();
    EXPECT_EQ(w["restarts"], 1);
    EXPECT_EQ(w["last_exit"], "killed by signal 9 (SIGKILL)");
    EXPECT_TRUE(w["last_exit_at"].is_string());
    EXPECT_TRUE(gone(first)) << "the killed worker was not reaped";
    auto r = get("/v1/version");
    EXPECT_EQ(r.status, 200) << r.body;
}

TEST_F(Isolation, AWorkerThatStopsAnsweringItsHeartbeatIsKilledAndRestarted) {
    start(BERTH_WORKER_PATH, {{"heartbeat_interval_ms", 100}, {"heartbeat_timeout_ms", 300}});
    const int first = worker_pid();
    ASSERT_GT(first, 0);
    ASSERT_EQ(::kill(first, SIGSTOP), 0);  // alive, but answers nothing
    ASSERT_TRUE(eventually([&] {
        auto w = worker();
        return w["state"] == "serving" && w["pid"].get<int>() != first;
    })) << status().dump();
    EXPECT_EQ(worker()["last_exit"], "killed: no heartbeat answer within 300 ms");
    EXPECT_TRUE(gone(first));
    EXPECT_EQ(get("/v1/version").status, 200);
}

TEST_F(Isolation, PastItsRestartBudgetTheModuleIsFailedUntilASwap) {
    start(BERTH_WORKER_PATH, {{"max_restarts", 1}});
    const int first = worker_pid();
    ASSERT_GT(first, 0);
    ASSERT_EQ(::kill(first, SIGKILL), 0);
    int second = 0;
    ASSERT_TRUE(eventually([&] {
        auto w = worker();
        second = w["pid"].get<int>();
        return w["state"] == "serving" && second != first;
    }));
    ASSERT_GT(second, 0);  // kill(0) would end this test's own process group
    ASSERT_EQ(::kill(second, SIGKILL), 0);
    ASSERT_TRUE(eventually([&] { return worker()["state"] == "failed"; })) << status().dump();
    auto r = get("/v1/version");
    EXPECT_EQ(r.status, 503);
    EXPECT_EQ(r.header("Retry-After"), "1");
    EXPECT_EQ(r.json()["detail"], "the module's worker failed 2 times in 60 s; it stays down until a swap or reload");
    EXPECT_EQ(status()["ready"], false);
    auto swap = host_->admin("POST", "/modules/api/reload", nlohmann::json{{"library", test_plugin("versioned_1_1").string()}}.dump());
    ASSERT_EQ(swap.status, 200) << swap.body;
    EXPECT_EQ(worker()["state"], "serving");
    EXPECT_EQ(get("/v1/version").status, 200);
}

TEST_F(Isolation, ARequestInFlightWhenItsWorkerDiesGetsA502NamingIt) {
    start();
    const int pid = worker_pid();
    ASSERT_GT(pid, 0);
    auto held = std::async(std::launch::async, [&] {
        return http_request(host_->port("api"), "GET", "/v1/hold", {}, {{"X-Request-Id", "held-1"}});
    });
    ASSERT_TRUE(eventually([&] { return status()["in_flight"] == 1; }));
    ASSERT_EQ(::kill(pid, SIGKILL), 0);
    auto r = held.get();
    EXPECT_EQ(r.status, 502) << r.body;
    EXPECT_EQ(r.header("Content-Type"), "application/problem+json");
    EXPECT_EQ(r.json()["detail"], "the module's worker stopped while handling request held-1");
    // The other module never noticed.
    EXPECT_EQ(http_request(host_->port("local"), "GET", "/v2/version").status, 200);
}

TEST_F(Isolation, ASwapStartsANewWorkerAndReapsTheOldOne) {
    start();
    const int old = worker_pid();
    auto r = host_->admin("POST", "/modules/api/reload", nlohmann::json{{"library", test_plugin("versioned_1_1").string()}}.dump());
    ASSERT_EQ(r.status, 200) << r.body;
    EXPECT_EQ(get("/v1/version").json()["version"], "1.1.0");
    const int next = worker_pid();
    EXPECT_NE(next, old);
    EXPECT_EQ(worker()["restarts"], 0);
    EXPECT_TRUE(eventually([&] { return gone(old); })) << "the old generation's worker is still there";
    EXPECT_FALSE(gone(next));
}

TEST_F(Isolation, AStoppedHostLeavesNoWorkerBehind) {
    start();
    const int pid = worker_pid();
    ASSERT_FALSE(gone(pid));
    host_.reset();
    EXPECT_TRUE(gone(pid));
}

TEST_F(Isolation, WithoutAWorkerProgramTheModuleFailsAtStepWorkerSayingWhere) {
    temp_dir empty;
    const auto missing = (empty.path() / "berth-worker").string();
    start(missing);
    auto s = status();
    ASSERT_TRUE(s["last_error"].is_object()) << s.dump();
    EXPECT_EQ(s["last_error"]["step"], "worker");
    EXPECT_NE(s["last_error"]["message"].get<std::string>().find(missing), std::string::npos) << s.dump();
    EXPECT_EQ(get("/v1/version").status, 503);
}

}  // namespace
}  // namespace berth::test
