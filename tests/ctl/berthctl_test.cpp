// berthctl, the real binary, against a real host: what an operator types and what they see,
// and the exit codes scripts rely on (0 done, 1 refused with reason, 2 usage, 3 unreachable).
#include "run_berthctl.hpp"

#include "support/file_host.hpp"
#include "support/http_client.hpp"
#include "support/test_host.hpp"

#include <gtest/gtest.h>

#include <fstream>

namespace berth::test {
namespace {

namespace fs = std::filesystem;

class Berthctl : public ::testing::Test {
protected:
    void SetUp() override {
        host_ = std::make_unique<test_host>(std::vector<plugin_spec>{{"probe", test_plugin("swap_probe_v1")}},
                                            nlohmann::json{{"ready_timeout_ms", 1000}, {"drain_timeout_ms", 2000}});
    }

    // berthctl with this host's URL and token file; `args` after the global options.
    ctl_result ctl(std::vector<std::string> args, std::vector<std::pair<std::string, std::string>> env = {}) {
        return run_berthctl_against(host_->admin_port(), host_->data_dir(), args, env);
    }
    std::string url() const { return "http://127.0.0.1:" + std::to_string(host_->admin_port()); }
    std::string probe_version() { return http_request(host_->port("probe"), "GET", "/v1/version").json()["version"]; }
    bool has_module(const std::string& name) { return host_->admin("GET", "/modules/" + name).status == 200; }

    std::unique_ptr<test_host> host_;
};

// What berthctl printed, for a failed assertion's message.
std::string shown(const ctl_result& r) {
    return "exit " + std::to_string(r.exit_code) + "\n--- stdout\n" + r.out + "--- stderr\n" + r.err;
}

TEST_F(Berthctl, StatusSaysTheHostIsAliveAndListsEachModule) {
    auto r = ctl({"status"});
    ASSERT_EQ(r.exit_code, 0) << shown(r);
    EXPECT_NE(r.out.find("alive"), std::string::npos) << shown(r);
    EXPECT_NE(r.out.find("probe"), std::string::npos) << shown(r);
    EXPECT_NE(r.out.find("1.0.0"), std::string::npos) << shown(r);
    EXPECT_NE(r.out.find("serving"), std::string::npos) << shown(r);
}

// GET /readyz (issue 10): a module that failed at boot makes the host not ready, and says why.
TEST(BerthctlReadiness, StatusOfAHostWithAFailedModuleExitsOneNamingIt) {
    test_host host({{"probe", test_plugin("swap_probe_v1")}, {"broken", test_plugin("failing_start")}});
    auto r = run_berthctl_against(host.admin_port(), host.data_dir(), {"status"});
    EXPECT_EQ(r.exit_code, 1) << shown(r);
    EXPECT_NE(r.out.find("NOT READY"), std::string::npos) << shown(r);
    EXPECT_NE(r.err.find("broken"), std::string::npos) << shown(r);
}

// The session, the swap half: a swap that fails with its reason, a good swap, rollback.
TEST_F(Berthctl, SwapSessionFailsWithItsReasonThenSwapsAndRollsBack) {
    ASSERT_EQ(ctl({"status"}).exit_code, 0);

    auto failed = ctl({"reload", "probe", "--library", test_plugin("swap_probe_failing_start").string()});
    EXPECT_EQ(failed.exit_code, 1) << shown(failed);
    EXPECT_NE(failed.err.find("step: start"), std::string::npos) << shown(failed);
    EXPECT_NE(failed.err.find("database unreachable"), std::string::npos) << shown(failed);
    EXPECT_EQ(probe_version(), "1.0.0") << "a failed swap left the old generation serving";

    auto swapped = ctl({"reload", "probe", "--library", test_plugin("swap_probe_v2").string()});
    ASSERT_EQ(swapped.exit_code, 0) << shown(swapped);
    EXPECT_NE(swapped.out.find("swapped"), std::string::npos) << shown(swapped);
    EXPECT_EQ(probe_version(), "2.0.0");

    auto back = ctl({"rollback", "probe"});
    ASSERT_EQ(back.exit_code, 0) << shown(back);
    EXPECT_EQ(probe_version(), "1.0.0");

    auto listed = ctl({"plugins"});
    ASSERT_EQ(listed.exit_code, 0) << shown(listed);
    EXPECT_NE(listed.out.find("1.0.0"), std::string::npos) << shown(listed);
}

TEST_F(Berthctl, RollbackWithNothingToGoBackToIsRefusedWithItsReason) {
    auto r = ctl({"rollback", "probe"});
    EXPECT_EQ(r.exit_code, 1) << shown(r);
    EXPECT_NE(r.err.find("no previous generation"), std::string::npos) << shown(r);
}

TEST_F(Berthctl, ShowOfAnUnknownModuleIsRefused) {
    auto r = ctl({"show", "nope"});
    EXPECT_EQ(r.exit_code, 1) << shown(r);
    EXPECT_NE(r.err.find("404"), std::string::npos) << shown(r);
}

TEST_F(Berthctl, ShowDescribesTheActiveGeneration) {
    auto r = ctl({"show", "probe"});
    ASSERT_EQ(r.exit_code, 0) << shown(r);
    EXPECT_NE(r.out.find("swap_probe"), std::string::npos) << shown(r);
    EXPECT_NE(r.out.find(test_plugin("swap_probe_v1").string()), std::string::npos) << shown(r);
}

// Where a generation runs (isolation, issue 11): an in-process module's view of it.
TEST_F(Berthctl, ShowSaysWhereTheActiveGenerationRunsAndAnInProcessOneHasNoWorkerLine) {
    auto r = ctl({"show", "probe"});
    ASSERT_EQ(r.exit_code, 0) << shown(r);
    EXPECT_NE(r.out.find("\nisolation     in-process\n"), std::string::npos) << shown(r);
    EXPECT_EQ(r.out.find("\nworker "), std::string::npos) << shown(r);
}

TEST_F(Berthctl, ThePluginsTableHasAnIsolationColumn) {
    auto r = ctl({"plugins"});
    ASSERT_EQ(r.exit_code, 0) << shown(r);
    const auto header = r.out.substr(0, r.out.find('\n'));
    EXPECT_NE(header.find("ISOLATION"), std::string::npos) << shown(r);
    EXPECT_NE(r.out.find("in-process"), std::string::npos) << shown(r);
}

// The session, the lifecycle half (POST and DELETE /modules, issue 10).
TEST_F(Berthctl, UnloadClosesTheModuleAndLoadServesANewOne) {
    const auto old_port = host_->port("probe");
    auto gone = ctl({"unload", "probe"});
    ASSERT_EQ(gone.exit_code, 0) << shown(gone);
    EXPECT_FALSE(has_module("probe"));
    EXPECT_TRUE(port_is_released(old_port));

    auto loaded = ctl({"load", "probe2", "--library", test_plugin("swap_probe_v2").string(), "--port", "0",
                       "--address", "127.0.0.1"});
    ASSERT_EQ(loaded.exit_code, 0) << shown(loaded);
    EXPECT_NE(loaded.out.find("loaded probe2"), std::string::npos) << shown(loaded);
    auto m = host_->admin("GET", "/modules/probe2");
    ASSERT_EQ(m.status, 200) << m.body;
    auto j = m.json().contains("module") ? m.json()["module"] : m.json();
    EXPECT_EQ(http_request(j["port"].get<std::uint16_t>(), "GET", "/v1/version").json()["version"], "2.0.0");
}

TEST_F(Berthctl, LoadOfATakenNameIsRefusedAndChangesNothing) {
    auto r = ctl({"load", "probe", "--library", test_plugin("swap_probe_v2").string(), "--port", "0"});
    EXPECT_EQ(r.exit_code, 1) << shown(r);
    EXPECT_NE(r.err.find("409"), std::string::npos) << shown(r);
    EXPECT_EQ(probe_version(), "1.0.0");
}

TEST_F(Berthctl, BadUsageExitsTwo) {
    for (std::vector<std::string> args : {std::vector<std::string>{},
                                          {"no-such-command"},
                                          {"retire", "probe"},
                                          {"show"},
                                          {"load", "x", "--library", "x.so", "--port", "0", "--settings", "{not json"},
                                          {"load", "x", "--library", "x.so", "--port", "70000"},
                                          {"load", "x", "--library", "x.so", "--port", "0", "--isolation", "container"}}) {
        std::string line;
        for (auto& a : args) line += a + " ";
        auto r = ctl(args);
        EXPECT_EQ(r.exit_code, 2) << line << "\n" << shown(r);
    }
}

TEST_F(Berthctl, AnHttpsUrlIsAUsageError) {
    auto r = run_berthctl({"--url", "https://127.0.0.1:8080", "status"});
    EXPECT_EQ(r.exit_code, 2) << shown(r);
}

TEST(BerthctlUnreachable, NothingListeningExitsThree) {
    std::uint16_t port = 0;
    {
        test_host gone({});
        port = gone.admin_port();
    }
    ASSERT_TRUE(port_is_released(port));
    auto r = run_berthctl({"--url", "http://127.0.0.1:" + std::to_string(port), "--timeout", "20", "status"});
    EXPECT_EQ(r.exit_code, 3) << shown(r);
    EXPECT_NE(r.err.find("cannot reach"), std::string::npos) << shown(r);
}

TEST_F(Berthctl, JsonOutputParsesForAnswersAndRefusals) {
    auto list = ctl({"--json", "plugins"});
    ASSERT_EQ(list.exit_code, 0) << shown(list);
    auto j = nlohmann::json::parse(list.out);
    auto modules = j.is_array() ? j : j["modules"];
    ASSERT_EQ(modules.size(), 1u) << list.out;
    EXPECT_EQ(modules[0]["name"], "probe");

    auto one = ctl({"show", "probe", "--json"});  // global options may follow the command
    ASSERT_EQ(one.exit_code, 0) << shown(one);
    auto m = nlohmann::json::parse(one.out);
    EXPECT_EQ((m.contains("module") ? m["module"] : m)["name"], "probe");

    auto status = ctl({"--json", "status"});
    ASSERT_EQ(status.exit_code, 0) << shown(status);
    EXPECT_EQ(nlohmann::json::parse(status.out)["health"]["status"], "ok");

    auto refused = ctl({"--json", "reload", "probe", "--library", test_plugin("swap_probe_failing_start").string()});
    EXPECT_EQ(refused.exit_code, 1) << shown(refused);
    auto p = nlohmann::json::parse(refused.out);
    EXPECT_EQ(p["status"], 422);
    EXPECT_EQ(p["step"], "start");
}

TEST_F(Berthctl, AWrongTokenIsRefusedAndNeverPrinted) {
    temp_dir dir;
    auto file = dir.path() / "admin.token";
    std::ofstream(file) << "not-the-token-0123456789\n";
    auto r = run_berthctl({"--url", url(), "--token-file", file.string(), "--timeout", "20", "plugins"});
    EXPECT_EQ(r.exit_code, 1) << shown(r);
    EXPECT_NE(r.err.find("401"), std::string::npos) << shown(r);
    EXPECT_NE(r.err.find(file.string()), std::string::npos) << "says where the token came from\n" << shown(r);
    EXPECT_EQ((r.out + r.err).find("not-the-token-0123456789"), std::string::npos) << shown(r);
}

TEST_F(Berthctl, TakesTheTokenFromTheEnvironmentAndNeverPrintsIt) {
    const auto token = host_->admin_token();
    auto r = run_berthctl({"--url", url(), "--timeout", "20", "--json", "show", "probe"}, {{"BERTH_ADMIN_TOKEN", token}});
    ASSERT_EQ(r.exit_code, 0) << shown(r);
    EXPECT_EQ((r.out + r.err).find(token), std::string::npos);
}

// The lookup's last place: ./var/admin.token, where scripts/run's host keeps it.
TEST_F(Berthctl, FindsTheTokenInVarOfTheCurrentDirectory) {
    ASSERT_FALSE(fs::exists("/var/lib/berth/admin.token")) << "this machine's packaged token would be found first";
    temp_dir cwd;
    fs::create_directory(cwd.path() / "var");
    fs::copy_file(host_->data_dir() / "admin.token", cwd.path() / "var" / "admin.token");
    auto r = run_berthctl({"--url", url(), "--timeout", "20", "plugins"}, {}, cwd.path().string());
    ASSERT_EQ(r.exit_code, 0) << shown(r);
    EXPECT_NE(r.out.find("probe"), std::string::npos) << shown(r);
}

TEST_F(Berthctl, WithoutATokenSaysWhereItLooked) {
    temp_dir cwd;
    auto r = run_berthctl({"--url", url(), "--timeout", "20", "plugins"}, {}, cwd.path().string());
    EXPECT_EQ(r.exit_code, 1) << shown(r);
    EXPECT_NE(r.err.find("401"), std::string::npos) << shown(r);
    EXPECT_NE(r.err.find("./var/admin.token"), std::string::npos) << shown(r);
}

TEST_F(Berthctl, TakesTheUrlFromTheEnvironment) {
    auto r = run_berthctl({"--token-file", (host_->data_dir() / "admin.token").string(), "--timeout", "20", "plugins"},
                          {{"BERTH_ADMIN_URL", url()}});
    ASSERT_EQ(r.exit_code, 0) << shown(r);
    EXPECT_NE(r.out.find("probe"), std::string::npos) << shown(r);
}

// GET /events (issue 10): the swap just made is in the log, one JSON object per line with --json.
TEST_F(Berthctl, LogsListTheSwapJustMade) {
    ASSERT_EQ(ctl({"reload", "probe", "--library", test_plugin("swap_probe_v2").string()}).exit_code, 0);
    auto r = ctl({"--json", "logs"});
    ASSERT_EQ(r.exit_code, 0) << shown(r);
    bool swap = false;
    std::size_t start = 0;
    while (start < r.out.size()) {
        auto end = r.out.find('\n', start);
        auto e = nlohmann::json::parse(r.out.substr(start, end - start));
        swap = swap || (e["kind"] == "swap" && e["module"] == "probe" && e["fields"]["outcome"] == "swapped");
        start = end + 1;
    }
    EXPECT_TRUE(swap) << shown(r);
}

// GET /metrics (issue 10): raw Prometheus text; --filter keeps one family.
TEST_F(Berthctl, MetricsFilterKeepsOnlyTheNamedFamily) {
    auto all = ctl({"metrics"});
    ASSERT_EQ(all.exit_code, 0) << shown(all);
    auto type = all.out.find("# TYPE ");
    ASSERT_NE(type, std::string::npos) << shown(all);
    auto family = all.out.substr(type + 7, all.out.find(' ', type + 7) - type - 7);
    auto one = ctl({"metrics", "--filter", family});
    ASSERT_EQ(one.exit_code, 0) << shown(one);
    EXPECT_LT(one.out.size(), all.out.size());
    EXPECT_NE(one.out.find("# TYPE " + family + " "), std::string::npos) << shown(one);
    auto none = ctl({"metrics", "--filter", "no_such_family"});
    EXPECT_EQ(none.exit_code, 1) << shown(none);
}

// A host started from a config file, as berthd is, so that POST /config/reload has a file to re-read.
class BerthctlConfig : public ::testing::Test {
protected:
    ctl_result ctl(std::vector<std::string> args) {
        std::vector<std::string> all{"--url", "http://127.0.0.1:" + std::to_string(host_.runtime().admin_port()),
                                     "--token-file", (host_.data_dir() / "admin.token").string(), "--timeout", "20"};
        all.insert(all.end(), args.begin(), args.end());
        return run_berthctl(all);
    }
    void add_second_module() {
        host_.config()["modules"]["probe2"] = module_entry(test_plugin("swap_probe_v2"));
        host_.write();
    }

    file_host host_{{{"probe", module_entry(test_plugin("swap_probe_v1"))}}, {{"threads", {{"io", 1}, {"workers", 2}}}}};
};

// POST /config/reload?dry_run=true (issue 10).
TEST_F(BerthctlConfig, PlanOfAnUnchangedFileHasNothingToDo) {
    auto r = ctl({"config", "plan"});
    ASSERT_EQ(r.exit_code, 0) << shown(r);
    EXPECT_NE(r.out.find("nothing to do"), std::string::npos) << shown(r);
}

TEST_F(BerthctlConfig, PlanListsAnAddedModuleAndAppliesNothing) {
    add_second_module();
    auto r = ctl({"config", "plan"});
    ASSERT_EQ(r.exit_code, 0) << shown(r);
    EXPECT_NE(r.out.find("add"), std::string::npos) << shown(r);
    EXPECT_NE(r.out.find("probe2"), std::string::npos) << shown(r);
    EXPECT_FALSE(host_.runtime().module_port("probe2"));
}

TEST_F(BerthctlConfig, ApplyServesTheAddedModule) {
    add_second_module();
    auto r = ctl({"config", "apply"});
    ASSERT_EQ(r.exit_code, 0) << shown(r);
    EXPECT_NE(r.out.find("applied"), std::string::npos) << shown(r);
    auto port = host_.runtime().module_port("probe2");
    ASSERT_TRUE(port);
    EXPECT_EQ(http_request(*port, "GET", "/v1/version").json()["version"], "2.0.0");
}

TEST_F(BerthctlConfig, AnInvalidFileIsRefusedWithItsPointer) {
    host_.config()["modules"]["probe"]["port"] = "eighty";
    host_.write();
    auto r = ctl({"config", "apply"});
    EXPECT_EQ(r.exit_code, 1) << shown(r);
    EXPECT_NE(r.err.find("/modules/probe/port"), std::string::npos) << shown(r);
}

}  // namespace
}  // namespace berth::test

// GET /events `last` (issue 10 review): an `after` the host never reached is from before a
// restart; berthctl says so and prints the host's events from its first.
namespace berth::test {
namespace {

TEST_F(Berthctl, LogsAfterASeqTheHostNeverReachedSaysItRestartedAndPrintsFromTheStart) {
    auto r = ctl({"logs", "--after", "100"});
    ASSERT_EQ(r.exit_code, 0) << shown(r);
    EXPECT_NE(r.err.find("the host restarted"), std::string::npos) << shown(r);
    EXPECT_NE(r.out.find("  #1  "), std::string::npos) << shown(r);
    EXPECT_NE(r.out.find("load"), std::string::npos) << shown(r);
}

}  // namespace
}  // namespace berth::test
