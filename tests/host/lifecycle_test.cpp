// Lifecycle at the edge: connection caps and graceful stop.
#include "support/eventually.hpp"
#include "support/http_client.hpp"
#include "support/test_host.hpp"

#include <gtest/gtest.h>

#include <future>
#include <thread>

namespace berth::test {
namespace {

TEST(Lifecycle, ConnectionsBeyondTheCapAreClosedWhileNoneIsIdle) {
    test_host host({{"probe", test_plugin("contract_probe"), {{"limits", {{"max_connections", 2}}}}}});
    auto port = host.port("probe");
    // Both places taken by requests in progress: there is no idle connection to make room.
    auto busy = [port] { return http_request(port, "GET", "/v1/slow?ms=2000").status; };
    auto a = std::async(std::launch::async, busy);
    auto b = std::async(std::launch::async, busy);
    ASSERT_TRUE(eventually([&] { return host.admin("GET", "/modules/probe").json()["in_flight"] == 2; }));
    EXPECT_FALSE(answers_health(port));
    EXPECT_EQ(a.get(), 200);
    EXPECT_EQ(b.get(), 200);
    EXPECT_TRUE(eventually([&] { return answers_health(port); }));
}

TEST(Lifecycle, StopLetsInFlightRequestsFinish) {
    test_host host({{"probe", test_plugin("contract_probe")}});
    auto port = host.port("probe");
    auto slow = std::async(std::launch::async, [port] { return http_request(port, "GET", "/v1/slow?ms=1200"); });
    ASSERT_TRUE(eventually([&] {
        return host.admin("GET", "/modules/probe").json()["in_flight"] == 1;
    }));
    auto results = host.runtime().stop();
    auto r = slow.get();
    EXPECT_EQ(r.status, 200);
    EXPECT_EQ(r.json()["slept_ms"], 1200);
    EXPECT_FALSE(r.keep_alive) << "a stopping host closes connections after their last answer";
    ASSERT_EQ(results.size(), 1u);
    EXPECT_TRUE(results[0].unloaded) << results[0].detail;
    EXPECT_TRUE(port_is_released(port)) << "the plugin's port is still held after stop";
}

TEST(Lifecycle, AnOccupiedPortFailsThatPluginOnly) {
    test_host first({{"greeter", shipped_plugin("greeter")}});
    auto taken = first.port("greeter");
    test_host second({{"greeter", shipped_plugin("greeter"), {{"port", taken}}},
                      {"probe", test_plugin("contract_probe")}});
    auto modules = second.runtime().modules();
    ASSERT_EQ(modules.size(), 2u);
    EXPECT_EQ(modules[0].state, berth::host::module_state::failed);
    ASSERT_TRUE(modules[0].last_error);
    EXPECT_EQ(modules[0].last_error->step, "listen");
    EXPECT_EQ(modules[0].port, taken);  // the configured port, not 0
    EXPECT_FALSE(modules[0].bound);
    EXPECT_EQ(modules[1].state, berth::host::module_state::serving);
    EXPECT_EQ(http_request(second.port("probe"), "GET", "/v1/items/1").status, 200);
}

TEST(Lifecycle, AnOccupiedAdminPortFailsStartAndLeavesNothingRunning) {
    test_host first({{"greeter", shipped_plugin("greeter")}});
    temp_dir dir;
    auto parsed = berth::host::parse_config(
        nlohmann::json{{"admin", {{"port", first.admin_port()}}},
                       {"data_dir", dir.path().string()},
                       {"modules", {{"greeter", {{"library", shipped_plugin("greeter").string()}, {"port", 0}}}}}}
            .dump(),
        dir.path());
    ASSERT_TRUE(parsed.value);
    {
        berth::host::runtime rt(*parsed.value);
        EXPECT_THROW(rt.start(), std::system_error);
        EXPECT_TRUE(rt.stop().empty());  // and the destructor after it must not crash either
    }
    EXPECT_EQ(http_request(first.port("greeter"), "GET", "/healthz").status, 200);
}

}  // namespace
}  // namespace berth::test
