// POST /modules and DELETE /modules/{name}: modules added and removed while the host serves.
#include "support/file_host.hpp"
#include "support/eventually.hpp"
#include "support/http_client.hpp"
#include "support/latch.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <thread>

namespace berth::test {
namespace {

class LifecycleApi : public ::testing::Test {
protected:
    // One module from the test plugins' directory: the deploy policy allows that directory.
    latches latches_;  // before the host: its directory is in the host's config
    // A drain waits for a held request as long as the test holds it.
    file_host host_{{{"probe", module_entry(test_plugin("swap_probe_v1"), {{"settings", latches_.setting()}})}},
                    {{"drain_timeout_ms", 60000}}};

    reply add(const nlohmann::json& body) { return host_.admin("POST", "/modules", body.dump()); }
};

TEST_F(LifecycleApi, AnAddedModuleServesOnItsPortAndIsListed) {
    auto r = add({{"name", "second"}, {"library", test_plugin("swap_probe_v2").string()}, {"port", 0}});
    ASSERT_EQ(r.status, 201) << r.body;
    EXPECT_EQ(r.header("Location"), "/modules/second");
    auto m = r.json()["module"];
    EXPECT_EQ(m["name"], "second");
    EXPECT_EQ(m["state"], "serving");
    EXPECT_EQ(m["ready"], true);
    auto v = http_request(host_.port("second"), "GET", "/v1/version");
    ASSERT_EQ(v.status, 200);
    EXPECT_EQ(v.json()["version"], "2.0.0");
    EXPECT_EQ(host_.admin("GET", "/modules/second").status, 200);
}

TEST_F(LifecycleApi, ARelativeLibraryResolvesAgainstTheConfigFilesFolder) {
    const auto relative = std::filesystem::relative(test_plugin("swap_probe_v2"), host_.file().parent_path());
    ASSERT_TRUE(relative.is_relative());
    auto r = add({{"name", "second"}, {"library", relative.string()}, {"port", 0}});
    ASSERT_EQ(r.status, 201) << r.body;
    EXPECT_EQ(r.json()["module"]["configured_library"], test_plugin("swap_probe_v2").lexically_normal().string());
}

TEST_F(LifecycleApi, AnEntryAgainstTheSchemaIsRefusedWithAPointerIntoTheBody) {
    auto r = add({{"name", "second"}, {"library", test_plugin("swap_probe_v2").string()}, {"port", "eighty"}});
    ASSERT_EQ(r.status, 400) << r.body;
    EXPECT_EQ(r.header("Content-Type"), "application/problem+json");
    ASSERT_FALSE(r.json()["errors"].empty());
    EXPECT_EQ(r.json()["errors"][0]["pointer"], "/port");
    EXPECT_EQ(host_.admin("GET", "/modules/second").status, 404);
}

TEST_F(LifecycleApi, AnEntryWithoutANameIsRefusedAtName) {
    auto r = add({{"library", test_plugin("swap_probe_v2").string()}, {"port", 0}});
    ASSERT_EQ(r.status, 400) << r.body;
    EXPECT_EQ(r.json()["errors"][0]["pointer"], "/name");
}

TEST_F(LifecycleApi, ABadModuleNameIsRefusedAtName) {
    auto r = add({{"name", "Not A Name"}, {"library", test_plugin("swap_probe_v2").string()}, {"port", 0}});
    ASSERT_EQ(r.status, 400) << r.body;
    EXPECT_EQ(r.json()["errors"][0]["pointer"], "/name");
}

TEST_F(LifecycleApi, APortARunningModuleHoldsIsRefusedAtPort) {
    const auto port = free_port();
    ASSERT_EQ(add({{"name", "one"}, {"library", test_plugin("swap_probe_v2").string()}, {"port", port}}).status, 201);
    auto r = add({{"name", "two"}, {"library", test_plugin("swap_probe_v2").string()}, {"port", port}});
    ASSERT_EQ(r.status, 400) << r.body;
    EXPECT_EQ(r.json()["errors"][0]["pointer"], "/port");
    EXPECT_NE(r.json()["errors"][0]["message"].get<std::string>().find("/modules/one/port"), std::string::npos);
}

TEST_F(LifecycleApi, ATakenNameIs409) {
    auto r = add({{"name", "probe"}, {"library", test_plugin("swap_probe_v2").string()}, {"port", 0}});
    EXPECT_EQ(r.status, 409) << r.body;
    EXPECT_EQ(http_request(host_.port("probe"), "GET", "/v1/version").json()["version"], "1.0.0");
}

TEST_F(LifecycleApi, ALibraryThatFailsToStartIs422AndLeavesNothingBehind) {
    const auto before = host_.files();
    const auto port = free_port();
    auto r = add({{"name", "broken"}, {"library", test_plugin("failing_start").string()}, {"port", port}});
    ASSERT_EQ(r.status, 422) << r.body;
    EXPECT_EQ(r.json()["step"], "start");
    EXPECT_EQ(host_.admin("GET", "/modules/broken").status, 404);
    EXPECT_TRUE(port_is_released(port));
    EXPECT_EQ(host_.files(), before);  // no shadow copy, no database
    // The name and the port are free again.
    EXPECT_EQ(add({{"name", "broken"}, {"library", test_plugin("swap_probe_v2").string()}, {"port", port}}).status, 201);
}

TEST_F(LifecycleApi, AFileThatIsNoPluginIs422) {
    auto r = add({{"name", "foreign"}, {"library", BERTH_FOREIGN_SO}, {"port", 0}});
    ASSERT_EQ(r.status, 422) << r.body;
    EXPECT_FALSE(r.json()["step"].get<std::string>().empty());
    EXPECT_EQ(host_.admin("GET", "/modules/foreign").status, 404);
}

TEST_F(LifecycleApi, DeleteDrainsUnloadsAndClosesThePort) {
    const auto port = host_.port("probe");
    auto r = host_.admin("DELETE", "/modules/probe");
    ASSERT_EQ(r.status, 200) << r.body;
    EXPECT_EQ(r.json()["module"], "probe");
    EXPECT_EQ(r.json()["unloaded"], true);
    EXPECT_TRUE(port_is_released(port));
    EXPECT_EQ(host_.admin("GET", "/modules/probe").status, 404);
    EXPECT_TRUE(host_.runtime().modules().empty());
}

TEST_F(LifecycleApi, ARequestInFlightFinishesBeforeDeleteAnswers) {
    http_connection c(host_.port("probe"));
    reply held, r;
    std::atomic<bool> answered{false};
    const auto target = latches_.hold("delete");
    std::thread client([&] { held = c.request("GET", target); });
    ASSERT_TRUE(eventually([&] { return host_.runtime().modules().front().queued_or_running == 1; }));
    std::thread deleter([&] {
        r = host_.admin("DELETE", "/modules/probe");
        answered = true;
    });
    // Out of the set: the delete has begun, and it waits for the held request.
    EXPECT_TRUE(eventually([&] { return !host_.runtime().module_port("probe"); }));
    EXPECT_FALSE(answered) << "DELETE answered while a request was still in flight";
    latches_.release("delete");
    deleter.join();
    client.join();
    EXPECT_EQ(r.status, 200) << r.body;
    EXPECT_EQ(held.status, 200) << held.body;
    EXPECT_EQ(held.json()["released"], true);
}

TEST_F(LifecycleApi, DeleteOfAnUnknownModuleIs404) {
    EXPECT_EQ(host_.admin("DELETE", "/modules/nope").status, 404);
}

TEST_F(LifecycleApi, BothNeedTheAdminToken) {
    const std::string body = R"({"name":"x","library":"/x.so","port":0})";
    auto add_call = http_request(host_.runtime().admin_port(), "POST", "/modules", body, {{"Content-Type", "application/json"}});
    EXPECT_EQ(add_call.status, 401);
    auto del = http_request(host_.runtime().admin_port(), "DELETE", "/modules/probe", "{}", {{"Content-Type", "application/json"}});
    EXPECT_EQ(del.status, 401);
    EXPECT_EQ(host_.runtime().modules().size(), 1u);
}

TEST_F(LifecycleApi, AddAndDeleteAreAudited) {
    ASSERT_EQ(add({{"name", "second"}, {"library", test_plugin("swap_probe_v2").string()}, {"port", 0}}).status, 201);
    ASSERT_EQ(host_.admin("DELETE", "/modules/second", "{}").status, 200);
    auto lines = host_.audit();
    ASSERT_EQ(lines.size(), 2u);
    EXPECT_EQ(lines[0]["call"], "POST /modules");
    EXPECT_EQ(lines[0]["status"], 201);
    EXPECT_EQ(lines[1]["call"], "DELETE /modules/second");
    EXPECT_EQ(lines[1]["status"], 200);
}

TEST_F(LifecycleApi, ThePluginsNamesAreDeprecatedAliases) {
    auto r = host_.admin("POST", "/plugins",
                         nlohmann::json{{"name", "second"}, {"library", test_plugin("swap_probe_v2").string()}, {"port", 0}}.dump());
    ASSERT_EQ(r.status, 201) << r.body;
    EXPECT_FALSE(r.header("Deprecation").empty());
    EXPECT_EQ(r.json()["plugin"]["name"], "second");
    auto d = host_.admin("DELETE", "/plugins/second", "{}");
    EXPECT_EQ(d.status, 200);
    EXPECT_EQ(d.json()["plugin"], "second");
}

TEST(LifecycleWatch, TheWatcherFollowsAnAddedModule) {
    namespace fs = std::filesystem;
    temp_dir libs;
    const auto owner_only = fs::perms::owner_read | fs::perms::owner_write | fs::perms::owner_exec;
    const auto lib = libs.path() / "probe.so";
    fs::copy_file(test_plugin("swap_probe_v1"), lib);
    fs::permissions(lib, owner_only);
    file_host host({{"probe", module_entry(test_plugin("swap_probe_v1"))}},
                   {{"deploy", {{"allowed_dirs", {test_plugin("x").parent_path().string(), libs.path().string()}}}},
                    {"watch", {{"debounce_ms", 20}}}});
    auto r = host.admin("POST", "/modules", nlohmann::json{{"name", "watched"}, {"library", lib.string()}, {"port", 0}}.dump());
    ASSERT_EQ(r.status, 201) << r.body;
    // The deploy contract: a new file beside the old one, renamed into place.
    const auto next = libs.path() / "probe.so.new";
    fs::copy_file(test_plugin("swap_probe_v2"), next);
    fs::permissions(next, owner_only);
    fs::rename(next, lib);
    EXPECT_TRUE(eventually([&] {
        return http_request(host.port("watched"), "GET", "/v1/version").json().value("version", "") == "2.0.0";
    }));
}

}  // namespace
}  // namespace berth::test
