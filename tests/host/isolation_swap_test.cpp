// Hot swap in process isolation (issue 11): every swap starts a worker for the new generation,
// drains the old one and stops and reaps its worker. 200 swaps under load fail no request and
// leave exactly one worker, and a host's stop leaves none. The host runs in this process, so
// its workers are this process's children.
#include "support/child_processes.hpp"
#include "support/eventually.hpp"
#include "support/http_client.hpp"
#include "support/test_host.hpp"
#include "support/version_load.hpp"

#include <gtest/gtest.h>

#include <unistd.h>

#include <chrono>
#include <iostream>

namespace berth::test {
namespace {

TEST(IsolationSwap, TwoHundredSwapsUnderLoadFailNoRequestAndLeaveOneWorker) {
    const auto plugins = test_plugin("swap_probe_v1").parent_path();
    auto host = std::make_unique<test_host>(
        std::vector<plugin_spec>{{"probe", test_plugin("swap_probe_v1"), {{"isolation", "process"}, {"watch", false}}}},
        nlohmann::json{{"drain_timeout_ms", 2000},
                       {"deploy", {{"allowed_dirs", {plugins.string()}}}}});
    ASSERT_EQ(children_of(::getpid()).size(), 1u) << describe(children_of(::getpid()));
    const auto port = host->port("probe");
    version_load clients(port, "/v1/version", 2);
    ASSERT_TRUE(eventually([&] { return clients.requests() > 50; }));

    const auto began = std::chrono::steady_clock::now();
    int swapped = 0;
    for (int i = 0; i < 200; ++i) {
        const auto next = test_plugin(i % 2 == 0 ? "swap_probe_v2" : "swap_probe_v1");
        auto r = host->admin("POST", "/modules/probe/reload", nlohmann::json({{"library", next.string()}}).dump());
        ASSERT_EQ(r.status, 200) << "swap " << i << ": " << r.body;
        if (r.json()["result"] == "swapped") ++swapped;
    }
    const auto took = std::chrono::steady_clock::now() - began;
    const auto during = clients.requests();
    ASSERT_TRUE(eventually([&] { return clients.requests() > during + 50; }));
    clients.finish();

    EXPECT_EQ(swapped, 200);
    EXPECT_EQ(clients.failures(), 0);
    EXPECT_EQ(clients.versions(), (std::set<std::string>{"1.0.0", "2.0.0"}));
    std::cout << "[figure] 200 swaps in process isolation: "
              << std::chrono::duration_cast<std::chrono::milliseconds>(took).count() / 200.0 << " ms per swap, "
              << clients.requests() << " requests, " << clients.failures() << " failed\n";

    // Every old generation drained and its worker reaped: the active generation's worker is the only one.
    const auto status = host->admin("GET", "/modules/probe").json();
    ASSERT_TRUE(eventually([&] { return children_of(::getpid()).size() == 1; })) << describe(children_of(::getpid()));
    const auto left = children_of(::getpid());
    ASSERT_EQ(left.size(), 1u);
    EXPECT_EQ(left[0].pid, status["active"]["worker"]["pid"].get<int>()) << status.dump();

    host.reset();  // the host's stop ends and reaps the last worker
    EXPECT_TRUE(children_of(::getpid()).empty()) << describe(children_of(::getpid()));
}

}  // namespace
}  // namespace berth::test
