// GET /readyz and "ready" in snapshots: every configured module should serve.
#include "support/http_client.hpp"
#include "support/test_host.hpp"

#include <gtest/gtest.h>

namespace berth::test {
namespace {

TEST(Readiness, ReadyzIs200WhenEveryModuleServes) {
    test_host host({{"a", test_plugin("swap_probe_v1")}, {"b", test_plugin("swap_probe_v2")}});
    auto r = host.admin("GET", "/readyz");
    ASSERT_EQ(r.status, 200) << r.body;
    EXPECT_EQ(r.json()["ready"], true);
    EXPECT_EQ(r.json()["modules"], nlohmann::json({{"a", true}, {"b", true}}));
    EXPECT_TRUE(host.runtime().ready());
}

TEST(Readiness, ReadyzIs503NamingAModuleThatDoesNotServe) {
    test_host host({{"good", test_plugin("swap_probe_v1")}, {"bad", test_plugin("failing_start")}});
    auto r = host.admin("GET", "/readyz");
    ASSERT_EQ(r.status, 503) << r.body;
    EXPECT_EQ(r.header("Content-Type"), "application/problem+json");
    EXPECT_EQ(r.json()["detail"], "not ready: bad");
    ASSERT_EQ(r.json()["not_ready"].size(), 1u);
    EXPECT_EQ(r.json()["not_ready"][0]["module"], "bad");
    EXPECT_EQ(r.json()["not_ready"][0]["state"], "failed");
    EXPECT_NE(r.json()["not_ready"][0]["reason"].get<std::string>().find("start"), std::string::npos);
    EXPECT_FALSE(host.runtime().ready());
}

TEST(Readiness, SnapshotsSayWhetherEachModuleIsReady) {
    test_host host({{"good", test_plugin("swap_probe_v1")}, {"bad", test_plugin("failing_start")}});
    EXPECT_EQ(host.admin("GET", "/modules/good").json()["ready"], true);
    EXPECT_EQ(host.admin("GET", "/modules/bad").json()["ready"], false);
}

TEST(Readiness, AModuleThatNeverReportsReadyIsNotReady) {
    test_host host({{"slow", test_plugin("swap_probe_not_ready")}}, {{"ready_timeout_ms", 200}});
    EXPECT_EQ(host.admin("GET", "/readyz").status, 503);
    EXPECT_FALSE(host.runtime().ready());
}

TEST(Readiness, ReadyzNeedsTheAdminToken) {
    test_host host({{"a", test_plugin("swap_probe_v1")}});
    EXPECT_EQ(http_request(host.admin_port(), "GET", "/readyz").status, 401);
}

TEST(Readiness, TheRuntimeIsNotReadyAfterStop) {
    test_host host({{"a", test_plugin("swap_probe_v1")}});
    host.runtime().stop();
    EXPECT_FALSE(host.runtime().ready());
}

}  // namespace
}  // namespace berth::test
