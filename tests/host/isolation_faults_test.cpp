// Process isolation (issue 11): a module whose worker process segfaults, aborts, exits,
// overflows its stack, is killed from outside or stopped loses the requests in flight (502) and
// comes back in a new worker, while an in-process module and another process module under load
// never see a failed request. Past its restart budget it stays down (503) until a reload; it
// runs as the configured user; its memory limit holds. The host is the real one, in this
// process, so the workers are this process's children.
#include "support/child_processes.hpp"
#include "support/eventually.hpp"
#include "support/http_client.hpp"
#include "support/test_host.hpp"
#include "support/version_load.hpp"

#include <gtest/gtest.h>

#include <pwd.h>
#include <signal.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <future>
#include <iostream>
#include <sstream>

namespace berth::test {
namespace {

using namespace std::chrono_literals;

// "the module's worker ended" must name the request and nothing of the worker's.
void expect_worker_lost(const reply& r) {
    EXPECT_EQ(r.status, 502) << r.body;
    EXPECT_EQ(r.header("Content-Type"), "application/problem+json") << r.body;
    const auto id = r.header("X-Request-Id");
    ASSERT_FALSE(id.empty());
    const auto detail = r.json().value("detail", std::string());
    EXPECT_NE(detail.find(id), std::string::npos) << "the detail names the request id: " << detail;
    for (auto internal : {"signal", "SIG", "status", "pid", "berth-worker", "/"})
        EXPECT_EQ(detail.find(internal), std::string::npos) << "internal text '" << internal << "' in: " << detail;
}

class IsolationFaults : public ::testing::Test {
protected:
    // The faulting module "fault" (process), beside "calm" (swap_probe, process) and "local"
    // (swap_probe, in-process), the two under load from the first request on.
    void start(nlohmann::json process = nlohmann::json::object(), nlohmann::json fault_extra = nlohmann::json::object()) {
        nlohmann::json fault = {{"isolation", "process"}, {"process", process}};
        fault.merge_patch(fault_extra);
        host_ = std::make_unique<test_host>(
            std::vector<plugin_spec>{{"fault", test_plugin("fault"), fault},
                                     {"calm", test_plugin("swap_probe_v1"), {{"isolation", "process"}}},
                                     {"local", test_plugin("swap_probe_v2")}});
        calm_ = std::make_unique<version_load>(host_->port("calm"), "/v1/version", 2);
        local_ = std::make_unique<version_load>(host_->port("local"), "/v1/version", 2);
        ASSERT_TRUE(eventually([&] { return calm_->requests() > 50 && local_->requests() > 50; }));
    }
    // The load goes on a while after the fault's recovery, then no request of it may have failed.
    void expect_others_unharmed() {
        const auto calm = calm_->requests(), local = local_->requests();
        ASSERT_TRUE(eventually([&] { return calm_->requests() > calm + 50 && local_->requests() > local + 50; }));
        calm_->finish();
        local_->finish();
        EXPECT_EQ(calm_->failures(), 0) << "the other process module";
        EXPECT_EQ(local_->failures(), 0) << "the in-process module";
    }
    std::uint16_t port() { return host_->port("fault"); }
    nlohmann::json status() { return host_->admin("GET", "/modules/fault").json(); }
    nlohmann::json worker() { return status()["active"]["worker"]; }
    reply fault(const std::string& kind) { return http_request(port(), "POST", "/v1/fault/" + kind); }
    // The process the module's handlers run in, as the plugin sees it; 0 when it does not answer.
    long serving_pid() {
        auto r = http_request(port(), "GET", "/v1/pid");
        return r.status == 200 ? r.json()["pid"].get<long>() : 0;
    }
    // Serving again, from another worker than `old_pid`.
    bool serves_again(long old_pid) {
        return eventually([&] {
            auto pid = serving_pid();
            return pid != 0 && pid != old_pid;
        });
    }

    std::unique_ptr<test_host> host_;
    std::unique_ptr<version_load> calm_, local_;
};

struct fault_case {
    const char* kind;
    const char* last_exit;  // what the admin API says of the worker's end
    bool sanitizer_says_otherwise = false;  // see below
};
// Test names and ctest's list show the fault, not the struct's bytes.
void PrintTo(const fault_case& c, std::ostream* os) { *os << c.kind; }

// A sanitizer turns a SIGSEGV (a null write, a stack overflow) into its report and then an exit
// or an abort (abort_on_error), and LeakSanitizer may do the same at exit(3): there the test
// knows only that the worker ended, which its restart shows.
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
constexpr bool sanitized = true;
#else
constexpr bool sanitized = false;
#endif

class IsolationFault : public IsolationFaults, public ::testing::WithParamInterface<fault_case> {};

TEST_P(IsolationFault, AnswersTheRequest502AndServesAgainFromANewWorkerWhileOthersFailNothing) {
    start();
    ASSERT_EQ(worker()["state"], "serving");
    const long before = serving_pid();
    ASSERT_GT(before, 0);
    EXPECT_NE(before, static_cast<long>(::getpid())) << "the module runs in a worker, not in the host";

    const auto r = fault(GetParam().kind);
    const auto failed_at = std::chrono::steady_clock::now();
    expect_worker_lost(r);
    ASSERT_TRUE(serves_again(before));
    std::cout << "[figure] " << GetParam().kind << ": serving again "
              << std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - failed_at).count()
              << " ms after the 502\n";

    auto w = worker();
    EXPECT_EQ(w["state"], "serving") << w.dump();
    EXPECT_EQ(w["restarts"], 1) << w.dump();
    EXPECT_EQ(w["pid"], serving_pid()) << w.dump();
    const auto said = w["last_exit"].get<std::string>();
    if (sanitized && GetParam().sanitizer_says_otherwise) EXPECT_FALSE(said.empty()) << w.dump();
    else EXPECT_NE(said.find(GetParam().last_exit), std::string::npos) << w.dump();
    EXPECT_TRUE(w["last_exit_at"].is_string()) << w.dump();
    expect_others_unharmed();
}

INSTANTIATE_TEST_SUITE_P(Faults, IsolationFault,
                         ::testing::Values(fault_case{"segfault", "killed by signal 11 (SIGSEGV)", true},
                                           fault_case{"abort", "killed by signal 6 (SIGABRT)"},
                                           fault_case{"exit", "exited with status 3", true},
                                           fault_case{"stack", "killed by signal 11 (SIGSEGV)", true}),
                         [](const auto& info) { return std::string(info.param.kind); });

TEST_F(IsolationFaults, AWorkerKilledFromOutsideLosesItsRequestInFlightAndComesBack) {
    start();
    const long before = serving_pid();
    ASSERT_GT(before, 0);
    auto hung = std::async(std::launch::async, [&] { return fault("hang"); });
    // In the worker's handler, not only in flight at the host: a request the worker never got
    // is answered 503 "restarting" (it never ran, so it may be retried), not 502.
    ASSERT_TRUE(eventually([&] {
        auto r = http_request(port(), "GET", "/v1/hanging");
        return r.status == 200 && r.json()["hanging"] == 1;
    }));
    ASSERT_EQ(::kill(static_cast<pid_t>(before), SIGKILL), 0);
    expect_worker_lost(hung.get());
    ASSERT_TRUE(serves_again(before));
    auto w = worker();
    EXPECT_EQ(w["restarts"], 1) << w.dump();
    EXPECT_NE(w["last_exit"].get<std::string>().find("killed by signal 9 (SIGKILL)"), std::string::npos) << w.dump();
    expect_others_unharmed();
}

// A stopped process answers no ping (the worker's reading thread answers them, D1; a hung
// handler is the request deadline's business): the heartbeat ends it.
TEST_F(IsolationFaults, AStoppedWorkerIsKilledByTheHeartbeatAndComesBack) {
    start({{"heartbeat_interval_ms", 100}, {"heartbeat_timeout_ms", 500}});
    const long before = serving_pid();
    ASSERT_GT(before, 0);
    ASSERT_EQ(::kill(static_cast<pid_t>(before), SIGSTOP), 0);
    ASSERT_TRUE(serves_again(before));
    auto w = worker();
    EXPECT_EQ(w["restarts"], 1) << w.dump();
    EXPECT_NE(w["last_exit"].get<std::string>().find("no heartbeat answer within 500 ms"), std::string::npos)
        << w.dump();
    expect_others_unharmed();
}

TEST_F(IsolationFaults, PastItsRestartBudgetTheModuleStaysDownUntilAReload) {
    start({{"max_restarts", 2}, {"restart_window_ms", 600'000}});
    // Two crashes are restarted; the third inside the window is one too many.
    for (int crash = 1; crash <= 2; ++crash) {
        const long before = serving_pid();
        ASSERT_GT(before, 0) << "crash " << crash;
        expect_worker_lost(fault("abort"));
        ASSERT_TRUE(serves_again(before)) << "crash " << crash;
    }
    expect_worker_lost(fault("abort"));
    ASSERT_TRUE(eventually([&] { return worker()["state"] == "failed"; })) << status().dump();

    auto down = http_request(port(), "GET", "/v1/ok");
    EXPECT_EQ(down.status, 503) << down.body;
    EXPECT_EQ(down.header("Content-Type"), "application/problem+json");
    auto w = worker();
    EXPECT_EQ(w["pid"], 0) << w.dump();
    EXPECT_NE(w["last_exit"].get<std::string>().find("SIGABRT"), std::string::npos) << w.dump();
    auto ready = host_->admin("GET", "/readyz");
    EXPECT_EQ(ready.status, 503) << ready.body;
    EXPECT_NE(ready.body.find("fault"), std::string::npos) << ready.body;

    // An operator's reload of the same file makes a new generation, with a new budget.
    auto reload = host_->admin("POST", "/modules/fault/reload");
    ASSERT_EQ(reload.status, 200) << reload.body;
    EXPECT_EQ(http_request(port(), "GET", "/v1/ok").status, 200);
    w = worker();
    EXPECT_EQ(w["state"], "serving") << w.dump();
    EXPECT_EQ(w["restarts"], 0) << w.dump();
    EXPECT_EQ(host_->admin("GET", "/readyz").status, 200);
    expect_others_unharmed();
}

std::string status_line(long pid, const std::string& field) {
    std::ifstream in("/proc/" + std::to_string(pid) + "/status");
    for (std::string line; std::getline(in, line);)
        if (line.rfind(field + ":", 0) == 0) return line.substr(field.size() + 1);
    return {};
}

// "Uid:\t65534\t65534\t65534\t65534": real, effective, saved and filesystem ids all one value.
void expect_all_ids(const std::string& line, unsigned id) {
    std::istringstream in(line);
    unsigned v = 0;
    int seen = 0;
    while (in >> v) {
        EXPECT_EQ(v, id) << line;
        ++seen;
    }
    EXPECT_EQ(seen, 4) << line;
}

TEST_F(IsolationFaults, TheWorkerRunsAsTheConfiguredUser) {
    if (::geteuid() != 0) GTEST_SKIP() << "a worker changes its user only when the host runs as root";
    const passwd* nobody = ::getpwnam("nobody");
    if (!nobody) GTEST_SKIP() << "no user 'nobody' on this machine";
    const auto uid = nobody->pw_uid, gid = nobody->pw_gid;
    start({{"user", "nobody"}});
    const long pid = serving_pid();
    ASSERT_GT(pid, 0);
    expect_all_ids(status_line(pid, "Uid"), uid);
    expect_all_ids(status_line(pid, "Gid"), gid);
    EXPECT_EQ(status_line(pid, "Groups").find_first_not_of(" \t"), std::string::npos)
        << "supplementary groups are dropped: " << status_line(pid, "Groups");
    EXPECT_EQ(status_line(pid, "NoNewPrivs"), "\t1");
    expect_others_unharmed();
}

TEST_F(IsolationFaults, AMemoryLimitStopsARunawayAllocationInsideTheWorker) {
#if defined(__SANITIZE_ADDRESS__)
    GTEST_SKIP() << "AddressSanitizer reserves terabytes of address space: the worker cannot take an RLIMIT_AS";
#endif
    // alloc_cap_mb: should the limit not hold, the route stops at 4 GiB and answers 200.
    start({{"memory_limit_mb", 512}}, {{"settings", {{"alloc_cap_mb", 4096}}}});
    const long before = serving_pid();
    ASSERT_GT(before, 0);
    auto r = fault("alloc");
    // The allocation fails in the worker: the handler's std::bad_alloc (500), or the worker's end (502).
    EXPECT_TRUE(r.status == 500 || r.status == 502) << r.status << " " << r.body;
    EXPECT_EQ(r.header("Content-Type"), "application/problem+json") << r.body;
    std::cout << "[figure] alloc under memory_limit_mb 512: " << r.status << " " << worker().dump() << "\n";
    ASSERT_TRUE(eventually([&] { return serving_pid() != 0; }));
    expect_others_unharmed();
}

}  // namespace
}  // namespace berth::test
