// Issue 11, the host side: a module with "isolation": "process" serves from a worker process
// of its own; a worker killed from outside is restarted and the admin API says so; a swap starts
// a new worker and reaps the old one; a request in flight when its worker dies gets a 502; a
// host that stops leaves no worker behind; the fixes after review (D2-D10): a handler past its
// deadline, a drain cut-off, a worker whose child holds its channel, its environment, host codes.
#include "support/child_processes.hpp"
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
#include <set>
#include <memory>

namespace berth::test {
namespace {

namespace fs = std::filesystem;

// True once no process has that id any more: exited and reaped (a zombie still answers kill 0).
bool gone(int pid) { return ::kill(pid, 0) != 0 && errno == ESRCH; }

// Gone, or a zombie left to a parent that is not this process (a worker's orphaned child).
bool dead(int pid) {
    std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
    std::string pid_field, comm, state;
    if (!(stat >> pid_field >> comm >> state)) return gone(pid);
    return state == "Z" || state == "X";
}

nlohmann::json process_module() {
    return {{"isolation", "process"}, {"process", {{"heartbeat_interval_ms", 200}, {"heartbeat_timeout_ms", 2000}}}};
}

class Isolation : public ::testing::Test {
protected:
    void start(const std::string& worker = BERTH_WORKER_PATH, const nlohmann::json& process = {},
               const nlohmann::json& top = {}) {
        auto api = process_module();
        if (process.is_object()) api["process"].merge_patch(process);
        nlohmann::json config{{"worker_executable", worker}, {"drain_timeout_ms", 5000}};
        if (top.is_object()) config.merge_patch(top);
        host_ = std::make_unique<test_host>(
            std::vector<plugin_spec>{{"api", test_plugin("versioned_1_0"), api},
                                     {"local", test_plugin("versioned_2_0")}},
            config);
    }
    // Module "fault" (tests/plugins/fault.cpp) in a worker, `extra` merged into its config entry.
    void start_fault(const nlohmann::json& extra = nlohmann::json::object()) {
        nlohmann::json fault = process_module();
        fault["process"]["heartbeat_timeout_ms"] = 10'000;  // only the fix under test may end the worker
        fault.merge_patch(extra);
        host_ = std::make_unique<test_host>(std::vector<plugin_spec>{{"fault", test_plugin("fault"), fault}},
                                            nlohmann::json{{"worker_executable", BERTH_WORKER_PATH}});
    }
    // Serving from a worker other than `old`.
    bool restarted(const std::string& module, int old) {
        return eventually([&] {
            auto w = status(module)["active"]["worker"];
            return w["state"] == "serving" && w["pid"].get<int>() != old;
        });
    }
    nlohmann::json reload(const std::string& library) {
        auto r = host_->admin("POST", "/modules/api/reload", nlohmann::json{{"library", test_plugin(library).string()}}.dump());
        EXPECT_EQ(r.status, 200) << r.body;
        return r.json();
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

TEST_F(Isolation, TheWorkerHoldsNoDescriptorOfTheHostBeyondItsChannel) {
    start();
    const int pid = worker_pid();
    std::set<int> fds;
    for (auto& e : fs::directory_iterator("/proc/" + std::to_string(pid) + "/fd")) fds.insert(std::stoi(e.path().filename()));
    // 0-2 and the channel (3); the image (4) is closed once mapped; nothing of berthd's listeners.
    EXPECT_EQ(fds, (std::set<int>{0, 1, 2, 3}));
}

TEST_F(Isolation, TheWorkerGetsOnlyTheAllowedNamesOfTheHostsEnvironment) {
    ::setenv("BERTH_TEST_SECRET", "a secret of berthd's", 1);
    start();
    std::ifstream in("/proc/" + std::to_string(worker_pid()) + "/environ", std::ios::binary);
    std::set<std::string> names;
    for (std::string entry; std::getline(in, entry, '\0');) names.insert(entry.substr(0, entry.find('=')));
    host_.reset();  // no host thread reads the environment while it changes
    ::unsetenv("BERTH_TEST_SECRET");
    const std::set<std::string> allowed{"PATH", "LANG", "TZ", "ASAN_OPTIONS", "UBSAN_OPTIONS", "LSAN_OPTIONS", "TSAN_OPTIONS"};
    for (const auto& n : names) EXPECT_TRUE(allowed.count(n) || n.rfind("LC_", 0) == 0) << "the worker got " << n;
    EXPECT_EQ(names.count("BERTH_TEST_SECRET"), 0u);
    ASSERT_NE(::getenv("PATH"), nullptr);
    EXPECT_EQ(names.count("PATH"), 1u) << "the worker's environment is not read, or PATH was dropped";
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
    // In the worker's handler, not only in flight at the host: a request the worker never got
    // is answered 503 "restarting" (it never ran, so it may be retried), not 502.
    ASSERT_TRUE(eventually([&] { return std::filesystem::exists(host_->data_dir() / "versioned.holding"); }));
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

TEST_F(Isolation, AHandlerPastHandlerTimeoutGetsA503AndItsWorkerIsEndedAndRestarted) {
    start_fault({{"limits", {{"handler_timeout_ms", 300}}}});
    const int first = status("fault")["active"]["worker"]["pid"].get<int>();
    ASSERT_GT(first, 0);
    auto r = http_request(host_->port("fault"), "POST", "/v1/fault/hang", {}, {{"X-Request-Id", "stuck-1"}});
    EXPECT_EQ(r.status, 503) << r.body;
    ASSERT_TRUE(restarted("fault", first)) << status("fault").dump();
    auto w = status("fault")["active"]["worker"];
    EXPECT_EQ(w["last_exit"], "a handler ran past handler_timeout_ms (300 ms) on request stuck-1");
    EXPECT_EQ(w["restarts"], 1);
    EXPECT_TRUE(gone(first)) << "the stuck worker was not reaped";
    EXPECT_EQ(http_request(host_->port("fault"), "GET", "/v1/ok").status, 200);
}

TEST_F(Isolation, AWorkerWhoseChildHoldsItsChannelIsSeenDeadByItsPidAndTheChildEndsWithIt) {
    start_fault();
    const int first = status("fault")["active"]["worker"]["pid"].get<int>();
    ASSERT_GT(first, 0);
    auto forked = http_request(host_->port("fault"), "POST", "/v1/fault/fork");
    ASSERT_EQ(forked.status, 200) << forked.body;
    const int child = forked.json()["child"].get<int>();
    ASSERT_GT(child, 0);
    ASSERT_FALSE(dead(child));
    ASSERT_EQ(::kill(first, SIGKILL), 0);  // the child still holds fd 3: no end of stream
    ASSERT_TRUE(restarted("fault", first)) << status("fault").dump();
    EXPECT_EQ(status("fault")["active"]["worker"]["last_exit"], "killed by signal 9 (SIGKILL)");
    EXPECT_TRUE(eventually([&] { return dead(child); })) << "the worker's child outlived it";
    EXPECT_EQ(http_request(host_->port("fault"), "GET", "/v1/ok").status, 200);
}

TEST_F(Isolation, ARequestHeldPastTheDrainDeadlineTakesTheOldWorkerWithIt) {
    start(BERTH_WORKER_PATH, {}, {{"drain_timeout_ms", 200}});
    const int old = worker_pid();
    ASSERT_GT(old, 0);
    auto held = std::async(std::launch::async, [&] {
        return http_request(host_->port("api"), "GET", "/v1/hold", {}, {{"X-Request-Id", "held-2"}});
    });
    ASSERT_TRUE(eventually([&] { return status()["in_flight"] == 1; }));
    reload("versioned_1_1");
    // /v1/hold holds 30 s: only the cut-off can end the old worker this soon.
    EXPECT_TRUE(eventually([&] { return gone(old); })) << "the old worker outlived its drain deadline";
    EXPECT_EQ(held.get().status, 503);
    EXPECT_EQ(get("/v1/version").json()["version"], "1.1.0");
}

TEST_F(Isolation, AReloadOfTheSameBuildClearsFailed) {
    start(BERTH_WORKER_PATH, {{"max_restarts", 0}});
    const int first = worker_pid();
    ASSERT_GT(first, 0);
    ASSERT_EQ(::kill(first, SIGKILL), 0);
    ASSERT_TRUE(eventually([&] { return worker()["state"] == "failed"; })) << status().dump();
    reload("versioned_1_0");  // the very build that runs
    EXPECT_EQ(worker()["state"], "serving");
    EXPECT_EQ(worker()["restarts"], 0);
    EXPECT_EQ(get("/v1/version").status, 200);
}

TEST_F(Isolation, ARollbackInProcessModeServesThePreviousBuildFromANewWorker) {
    start();
    reload("versioned_1_1");
    ASSERT_EQ(get("/v1/version").json()["version"], "1.1.0");
    const int upgraded = worker_pid();
    auto r = host_->admin("POST", "/modules/api/rollback");
    ASSERT_EQ(r.status, 200) << r.body;
    EXPECT_EQ(get("/v1/version").json()["version"], "1.0.0");
    EXPECT_EQ(status()["active"]["isolation"], "process");
    EXPECT_EQ(worker()["state"], "serving");
    const int back = worker_pid();
    EXPECT_NE(back, upgraded);
    EXPECT_EQ(fs::read_symlink("/proc/" + std::to_string(back) + "/exe").filename(), "berth-worker");
    EXPECT_TRUE(eventually([&] { return gone(upgraded); })) << "the rolled-back generation's worker is still there";
}

TEST_F(Isolation, TheFailedTextGivesTheRestartWindowUnrounded) {
    start(BERTH_WORKER_PATH, {{"max_restarts", 0}, {"restart_window_ms", 1500}});
    const int first = worker_pid();
    ASSERT_GT(first, 0);
    ASSERT_EQ(::kill(first, SIGKILL), 0);
    ASSERT_TRUE(eventually([&] { return worker()["state"] == "failed"; })) << status().dump();
    EXPECT_EQ(get("/v1/version").json()["detail"], "the module's worker failed 1 times in 1.5 s; it stays down until a swap or reload");
}

TEST_F(Isolation, AFailedRestartAttemptIsARestartNotAnExitAndTheApiAndMetricCountTheSame) {
    temp_dir programs;
    const auto copy = programs.path() / "berth-worker";
    fs::copy_file(BERTH_WORKER_PATH, copy);
    fs::permissions(copy, fs::perms::owner_all);
    start(copy.string(), {{"max_restarts", 1}});
    const int first = worker_pid();
    ASSERT_GT(first, 0);
    fs::remove(copy);  // the restart cannot spawn: a failed attempt
    ASSERT_EQ(::kill(first, SIGKILL), 0);
    ASSERT_TRUE(eventually([&] { return worker()["state"] == "failed"; })) << status().dump();
    EXPECT_EQ(worker()["restarts"], 1);
    EXPECT_EQ(worker()["last_exit"].get<std::string>().rfind("the restart failed at step worker", 0), 0u) << worker().dump();
    const auto metrics = host_->admin("GET", "/metrics").body;
    auto value = [&](const std::string& series) {
        const auto at = metrics.find("\n" + series + " ");
        return at == std::string::npos ? std::string("absent") : metrics.substr(at + series.size() + 2, metrics.find('\n', at + 1) - at - series.size() - 2);
    };
    EXPECT_EQ(value(R"(berth_worker_restarts_total{module="api"})"), "1") << metrics;
    EXPECT_EQ(value(R"(berth_worker_exits_total{module="api",reason="signal"})"), "1") << metrics;
    EXPECT_EQ(value(R"(berth_worker_exits_total{module="api",reason="exit"})"), "absent") << "a failed attempt is no exit";
}

TEST_F(Isolation, AWorkerWhoseReadyNeverReturnsIsEndedAtTheReadyDeadline) {
    host_ = std::make_unique<test_host>(std::vector<plugin_spec>{{"stuck", test_plugin("stuck_ready"), process_module()}},
                                        nlohmann::json{{"worker_executable", BERTH_WORKER_PATH}, {"ready_timeout_ms", 300}});
    auto s = status("stuck");
    ASSERT_TRUE(s["last_error"].is_object()) << s.dump();
    EXPECT_EQ(s["last_error"]["step"], "ready") << s.dump();
    auto workers = [] {
        std::vector<process_entry> found;
        for (auto& c : children_of(::getpid()))
            if (c.state != 'Z' && c.cmdline.find("--module stuck") != std::string::npos) found.push_back(c);
        return found;
    };
    // Without a deadline its worker waits in ready() for ever, kept by the abandoned call.
    EXPECT_TRUE(eventually([&] { return workers().empty(); })) << describe(workers());
}

TEST(IsolationCodes, AnInProcessPluginReturningTheWorkerCodesGetsA500WithoutItsText) {
    test_host host(std::vector<plugin_spec>{{"codes", test_plugin("host_code")}});
    for (const char* target : {"/v1/unavailable", "/v1/lost"}) {
        auto r = http_request(host.port("codes"), "GET", target);
        EXPECT_EQ(r.status, 500) << target << ": " << r.body;
        EXPECT_EQ(r.header("Retry-After"), "") << target;
        EXPECT_EQ(r.body.find("secret"), std::string::npos) << target << ": " << r.body;
    }
}


}  // namespace
}  // namespace berth::test
