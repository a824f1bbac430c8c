// What a caller without the token, or a token holder, must not be able to do to the host: flood
// the audit log or the event ring, plant text or request ids in audit lines, add modules or
// handler threads without bound, share another module's database, or wrap a metric's sum.
#include "admin/audit_log.hpp"
#include "support/file_host.hpp"
#include "ops/metrics.hpp"
#include "support/file_mode.hpp"
#include "support/http_client.hpp"

#include <berth/host/config.hpp>

#include <gtest/gtest.h>

#include <cstdint>
#include <fstream>

namespace berth::test {
namespace {

namespace fs = std::filesystem;

class AdminAbuse : public ::testing::Test {
protected:
    file_host host_{{{"probe", module_entry(test_plugin("swap_probe_v1"))}}};

    reply session(const std::string& code) {
        return http_request(host_.runtime().admin_port(), "POST", "/dashboard/session",
                            nlohmann::json{{"code", code}}.dump(), {{"Content-Type", "application/json"}});
    }
    // The admin_call events of one path (GET /events, the newest 1000).
    std::size_t admin_calls_to(const std::string& path) const {
        auto r = host_.admin("GET", "/events?limit=1000");
        EXPECT_EQ(r.status, 200) << r.body;
        std::size_t n = 0;
        const auto page = r.json();
        for (auto& e : page["events"])
            if (e["kind"] == "admin_call" && e["fields"]["path"] == path) ++n;
        return n;
    }
    reply add(const nlohmann::json& body) const { return host_.admin("POST", "/modules", body.dump()); }
};

TEST_F(AdminAbuse, WrongDashboardCodesAreCountedNotWrittenOneLineAndOneEventEach) {
    constexpr int tries = 30;
    for (int i = 0; i < tries; ++i) ASSERT_EQ(session(std::string(64, 'a')).status, 401);
    auto lines = host_.audit();
    EXPECT_LT(lines.size(), static_cast<std::size_t>(tries)) << "refusals are coalesced";
    for (auto& l : lines) EXPECT_NE(l.value("call", ""), "POST /dashboard/session") << l.dump();
    EXPECT_EQ(admin_calls_to("/dashboard/session"), 0u) << "anyone could push the boot events out of the ring";
}

TEST_F(AdminAbuse, AGoodDashboardCodeLeavesOneLineAndOneEvent) {
    auto link = host_.admin("POST", "/dashboard/links", "{}");
    ASSERT_EQ(link.status, 201) << link.body;
    const std::string url = link.json()["url"];
    ASSERT_EQ(session(url.substr(url.find("#code=") + 6)).status, 200);
    std::size_t redeemed = 0;
    for (auto& l : host_.audit()) redeemed += l["call"] == "POST /dashboard/session" && l["status"] == 200;
    EXPECT_EQ(redeemed, 1u);
    EXPECT_EQ(admin_calls_to("/dashboard/session"), 1u);
}

TEST_F(AdminAbuse, TheAuditLineKeepsThePathAndTheKnownSwitchesNotTheRestOfTheQuery) {
    ASSERT_EQ(host_.admin("POST", "/modules/probe/reload?force=false&x=" + std::string(400, 'q') +
                                      "&dry_run=%0Afake%20line").status, 200);
    auto lines = host_.audit();
    ASSERT_FALSE(lines.empty());
    EXPECT_EQ(lines.back()["call"], "POST /modules/probe/reload?force=false");
}

TEST_F(AdminAbuse, AClientsRequestIdIsKeptApartFromTheLinesOwn) {
    auto r = http_request(host_.runtime().admin_port(), "POST", "/modules/probe/reload", {},
                          {{"Authorization", "Bearer " + host_.admin_token()},
                           {"Content-Type", "application/json"},
                           {"X-Request-Id", "copied-from-a-real-call"}});
    ASSERT_EQ(r.status, 200) << r.body;
    auto lines = host_.audit();
    ASSERT_FALSE(lines.empty());
    EXPECT_NE(lines.back()["request_id"], "copied-from-a-real-call");
    EXPECT_FALSE(lines.back()["request_id"].get<std::string>().empty());
    EXPECT_EQ(lines.back()["client_request_id"], "copied-from-a-real-call");
}

TEST(AuditLogFile, RotatesAtItsBoundKeepingItsFilesPrivate) {
    temp_dir dir;
    const auto file = dir.path() / "audit.log";
    {
        host::admin::audit_log log(file, 1000, 2);
        for (int i = 0; i < 100; ++i) log.record("127.0.0.1", "id", "POST /modules/x/reload", 200, "swapped");
    }
    EXPECT_LE(fs::file_size(file), 1000u);
    for (auto* suffix : {"", ".1", ".2"}) {
        SCOPED_TRACE(suffix);
        ASSERT_TRUE(fs::exists(file.string() + suffix));
        EXPECT_LE(fs::file_size(file.string() + suffix), 1000u);
        EXPECT_EQ(mode_of(file.string() + suffix), 0600u);
    }
    EXPECT_FALSE(fs::exists(file.string() + ".3")) << "two rotated files are kept";
}

TEST(ModuleBounds, ModulesPastDeployMaxModulesAre409) {
    file_host host({{"probe", module_entry(test_plugin("swap_probe_v1"))}}, {{"deploy", {{"max_modules", 1}}}});
    auto r = host.admin("POST", "/modules", nlohmann::json{{"name", "second"},
                                                           {"library", test_plugin("swap_probe_v2").string()},
                                                           {"port", 0}}.dump());
    ASSERT_EQ(r.status, 409) << r.body;
    EXPECT_NE(r.json()["detail"].get<std::string>().find("deploy.max_modules"), std::string::npos) << r.body;
    EXPECT_EQ(host.admin("GET", "/modules/second").status, 404);
}

TEST(ModuleBounds, AConfigWithMoreModulesThanDeployMaxModulesIsRefused) {
    auto r = host::parse_config(R"({"deploy": {"max_modules": 1}, "modules": {
        "a": {"library": "/x/a.so", "port": 9001}, "b": {"library": "/x/b.so", "port": 9002}}})", "/etc/berth");
    ASSERT_FALSE(r.value);
    ASSERT_FALSE(r.errors.empty());
    EXPECT_EQ(r.errors[0].pointer, "/modules");
}

TEST(ModuleBounds, HandlerThreadsPastDeployMaxHandlerThreadsAreRefusedAtTheModuleThatCrosses) {
    auto r = host::parse_config(R"({"deploy": {"max_handler_threads": 100}, "modules": {
        "a": {"library": "/x/a.so", "port": 9001, "limits": {"max_in_flight": 64}},
        "b": {"library": "/x/b.so", "port": 9002, "limits": {"max_in_flight": 64}}}})", "/etc/berth");
    ASSERT_FALSE(r.value);
    ASSERT_EQ(r.errors.size(), 1u);
    EXPECT_EQ(r.errors[0].pointer, "/modules/b/limits/max_in_flight");
}

TEST(SharedDatabase, TwoModulesOnOneSqliteFileAreRefusedInTheFile) {
    auto r = host::parse_config(R"({"modules": {
        "a": {"library": "/x/a.so", "port": 9001, "database": "sqlite3://db=/srv/shared.db"},
        "b": {"library": "/x/b.so", "port": 9002, "database": "sqlite3://db=/srv/./x/../shared.db timeout=5"}}})",
                                "/etc/berth");
    ASSERT_FALSE(r.value);
    std::vector<std::string> pointers;
    for (auto& e : r.errors) pointers.push_back(e.pointer);
    EXPECT_EQ(pointers, (std::vector<std::string>{"/modules/b/database", "/modules/a/database"}));
}

TEST(SharedDatabase, TheDefaultFileOfAnotherModuleCannotBeNamed) {
    auto r = host::parse_config(R"({"data_dir": "/var/lib/berth", "modules": {
        "a": {"library": "/x/a.so", "port": 9001},
        "b": {"library": "/x/b.so", "port": 9002, "database": "sqlite3://db=/var/lib/berth/a.db"}}})", "/etc/berth");
    ASSERT_FALSE(r.value);
    EXPECT_FALSE(r.errors.empty());
}

TEST_F(AdminAbuse, AnAddedModuleCannotShareARunningModulesDatabase) {
    const auto db = "sqlite3://db=" + (host_.data_dir() / "probe.db").string();
    // "aaa" sorts before "probe": the refusal must still name the new entry.
    auto r = add({{"name", "aaa"}, {"library", test_plugin("swap_probe_v2").string()}, {"port", 0}, {"database", db}});
    ASSERT_EQ(r.status, 400) << r.body;
    ASSERT_EQ(r.json()["errors"].size(), 1u) << r.body;
    EXPECT_EQ(r.json()["errors"][0]["pointer"], "/database");
    EXPECT_EQ(host_.admin("GET", "/modules/aaa").status, 404);
}

TEST(LatencyHistogram, AHugeReportCannotMakeTheSumGoBackwards) {
    host::ops::histogram h;
    double last = 0;
    for (int i = 0; i < 4; ++i) {
        h.observe(std::chrono::nanoseconds(INT64_MAX));
        const auto sum = h.read().sum_s;
        EXPECT_GE(sum, last) << "report " << i;
        last = sum;
    }
    EXPECT_LE(last, 4 * 3600.0) << "each report counts at most an hour";
}

}  // namespace
}  // namespace berth::test
