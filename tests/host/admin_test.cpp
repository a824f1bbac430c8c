// The admin API: what an operator sees of the host.
#include "support/http_client.hpp"
#include "support/test_host.hpp"

#include <gtest/gtest.h>

namespace berth::test {
namespace {

TEST(Admin, ListsEveryModuleWithItsBoundPortAndState) {
    test_host host({{"greeter", shipped_plugin("greeter")}, {"probe", test_plugin("contract_probe")}});
    auto r = host.admin("GET", "/modules");
    ASSERT_EQ(r.status, 200);
    auto list = r.json();
    ASSERT_EQ(list.size(), 2u);
    for (auto& p : list) {
        SCOPED_TRACE(p.dump());
        for (const char* key : {"name", "version", "address", "port", "state", "generation", "library", "loaded_at",
                                "last_error"})
            EXPECT_TRUE(p.contains(key)) << key;
        EXPECT_EQ(p["state"], "serving");
        EXPECT_EQ(p["generation"], 1);
        EXPECT_TRUE(p["last_error"].is_null());
        EXPECT_NE(p["port"], 0);
        EXPECT_EQ(p["port"], host.port(p["name"]));  // the port actually bound, not the configured 0
        EXPECT_EQ(p["loaded_at"].get<std::string>().size(), 24u);  // 2026-01-01T00:00:00.000Z
    }
    EXPECT_EQ(list[1]["version"], "2.3.4");
}

TEST(Admin, ShowsOneModuleOr404) {
    test_host host({{"greeter", shipped_plugin("greeter")}});
    auto r = host.admin("GET", "/modules/greeter");
    ASSERT_EQ(r.status, 200);
    EXPECT_EQ(r.json()["name"], "greeter");
    auto missing = host.admin("GET", "/modules/nope");
    EXPECT_EQ(missing.status, 404);
    EXPECT_EQ(missing.header("Content-Type"), "application/problem+json");
}

TEST(Admin, HealthzAndMethodChecks) {
    test_host host({{"greeter", shipped_plugin("greeter")}});
    auto h = host.admin("GET", "/healthz");
    ASSERT_EQ(h.status, 200);
    EXPECT_EQ(h.json()["status"], "ok");
    EXPECT_EQ(h.json()["serving"], 1);
    auto wrong = host.admin("DELETE", "/modules");
    EXPECT_EQ(wrong.status, 405);
    EXPECT_EQ(wrong.header("Allow"), "GET, POST");  // POST /modules adds a module
}

}  // namespace
}  // namespace berth::test
