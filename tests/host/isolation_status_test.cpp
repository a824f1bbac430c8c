// Issue 11, what an operator reads of a process module: its worker is up in /metrics, a crash is
// counted by kind and its restart counted, promtool accepts the page, and a worker past its
// restart budget makes the module not ready, with the reason on /readyz.
#include "support/eventually.hpp"
#include "support/file_host.hpp"
#include "support/placement.hpp"
#include "support/http_client.hpp"
#include "support/test_host.hpp"

#include <gtest/gtest.h>

#include <signal.h>

#include <cerrno>

#include <cstdio>
#include <fstream>
#include <memory>
#include <sstream>

namespace berth::test {
namespace {

// The value of one series in a scrape; -1 when absent.
double value_of(const std::string& text, const std::string& series) {
    std::istringstream in(text);
    for (std::string line; std::getline(in, line);)
        if (line.rfind(series + " ", 0) == 0) return std::stod(line.substr(series.size() + 1));
    return -1;
}

class IsolationStatus : public ::testing::Test {
protected:
    void start(std::uint32_t max_restarts) {
        const nlohmann::json api = {{"isolation", "process"},
                                    {"process", {{"max_restarts", max_restarts},
                                                 {"heartbeat_interval_ms", 200},
                                                 {"heartbeat_timeout_ms", 2000}}}};
        host_ = std::make_unique<test_host>(std::vector<plugin_spec>{{"api", test_plugin("versioned_1_0"), api},
                                                                     {"local", test_plugin("versioned_2_0")}});
    }
    nlohmann::json worker() { return host_->admin("GET", "/modules/api").json()["active"]["worker"]; }
    std::string scrape() { return host_->admin("GET", "/metrics").body; }

    std::unique_ptr<test_host> host_;
};

TEST_F(IsolationStatus, AServingWorkerIsUpAndTheInProcessModuleHasNoWorkerSeries) {
    start(5);
    const auto text = scrape();
    EXPECT_EQ(value_of(text, R"(berth_worker_up{module="api",generation="1"})"), 1) << text;
    EXPECT_EQ(text.find(R"(berth_worker_up{module="local")"), std::string::npos) << text;
    EXPECT_EQ(host_->admin("GET", "/readyz").status, 200);
}

TEST_F(IsolationStatus, AKilledWorkerIsCountedAsASignalExitAndItsRestartCounted) {
    start(5);
    const int first = worker()["pid"].get<int>();
    ASSERT_EQ(::kill(first, SIGKILL), 0);
    ASSERT_TRUE(eventually([&] {
        const auto w = worker();  // one answer: state and pid from the same moment
        return w["state"] == "serving" && w["pid"].get<int>() != first;
    })) << worker().dump();
    const auto text = scrape();
    EXPECT_EQ(value_of(text, R"(berth_worker_exits_total{module="api",reason="signal"})"), 1) << text;
    EXPECT_EQ(value_of(text, R"(berth_worker_restarts_total{module="api"})"), 1) << text;
    EXPECT_EQ(value_of(text, R"(berth_worker_up{module="api",generation="1"})"), 1) << text;

    temp_dir dir;
    const auto file = dir.path() / "metrics.txt";
    std::ofstream(file) << text;
    const std::string command = std::string(BERTH_PROMTOOL) + " check metrics < " + file.string() + " 2>&1";
    FILE* p = ::popen(command.c_str(), "r");
    ASSERT_NE(p, nullptr);
    std::string said;
    char buf[512];
    while (fgets(buf, sizeof buf, p)) said += buf;
    EXPECT_EQ(::pclose(p), 0) << said;
}

TEST_F(IsolationStatus, AWorkerPastItsRestartBudgetMakesTheModuleNotReadyWithTheReason) {
    start(0);  // the first crash spends the budget
    const int first = worker()["pid"].get<int>();
    ASSERT_EQ(::kill(first, SIGKILL), 0);
    ASSERT_TRUE(eventually([&] { return worker()["state"] == "failed"; })) << worker().dump();
    auto ready = host_->admin("GET", "/readyz");
    ASSERT_EQ(ready.status, 503) << ready.body;
    auto j = ready.json();
    EXPECT_EQ(j["modules"]["api"], false);
    EXPECT_EQ(j["modules"]["local"], true);  // the other module is not held down with it
    ASSERT_EQ(j["not_ready"].size(), 1u) << ready.body;
    EXPECT_EQ(j["not_ready"][0]["module"], "api");
    EXPECT_EQ(j["not_ready"][0]["reason"], "worker failed: killed by signal 9 (SIGKILL)") << ready.body;
    EXPECT_EQ(host_->admin("GET", "/modules/api").json()["ready"], false);
    EXPECT_EQ(value_of(scrape(), R"(berth_worker_up{module="api",generation="1"})"), 0);
}

TEST(IsolationReload, ALiveReloadMovesAModuleIntoAWorkerAndBackWithoutTouchingTheOther) {
    file_host host({{"api", module_entry(test_plugin("versioned_1_0"))}, {"local", module_entry(test_plugin("versioned_2_0"))}},
                   {{"worker_executable", BERTH_WORKER_PATH}});
    auto active = [&](const std::string& m) { return host.admin("GET", "/modules/" + m).json()["active"]; };
    const auto local_before = active("local")["number"];

    host.config()["modules"]["api"]["isolation"] = "process";
    run_as_test_user(host.config()["modules"]["api"]);  // as root: a user, or berthd refuses it
    host.write();
    auto in = host.admin("POST", "/config/reload", "{}");
    ASSERT_EQ(in.status, 200) << in.body;
    ASSERT_EQ(in.json()["plan"].size(), 1u) << in.body;
    EXPECT_EQ(in.json()["plan"][0]["action"], "swap");
    auto now = active("api");
    EXPECT_EQ(now["isolation"], "process");
    EXPECT_EQ(now["worker"]["state"], "serving") << now;
    const int pid = now["worker"]["pid"].get<int>();
    EXPECT_EQ(http_request(host.port("api"), "GET", "/v1/version").status, 200);

    host.config()["modules"]["api"].erase("isolation");
    host.write();
    auto out = host.admin("POST", "/config/reload", "{}");
    ASSERT_EQ(out.status, 200) << out.body;
    now = active("api");
    EXPECT_EQ(now["isolation"], "in-process");
    EXPECT_FALSE(now.contains("worker")) << now;
    // The old generation drains, then its worker is stopped and reaped.
    EXPECT_TRUE(eventually([&] { return ::kill(pid, 0) != 0 && errno == ESRCH; })) << "worker " << pid << " is still there";
    EXPECT_EQ(active("local")["number"], local_before);
}

}  // namespace
}  // namespace berth::test
