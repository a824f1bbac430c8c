// The breaking-change gate on swap, through a real host's admin API and its file watcher: a
// build that breaks the active contract is refused (422, every change with its pointer) and
// the old generation keeps serving; additive builds swap; an operator can force, a file cannot.
#include "support/eventually.hpp"
#include "support/http_client.hpp"
#include "support/process_maps.hpp"
#include "support/test_host.hpp"

#include <gtest/gtest.h>

#include <fstream>
#include <set>
#include <sstream>

namespace berth::test {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

const std::string base_version = "1.0.0-base";

// The deploy contract: write beside the target, then rename over it.
void deploy(const fs::path& from, const fs::path& to) {
    auto tmp = to.parent_path() / ("." + to.filename().string() + ".tmp");
    fs::copy_file(from, tmp, fs::copy_options::overwrite_existing);
    fs::rename(tmp, to);
}

class Gate : public ::testing::Test {
protected:
    void SetUp() override {
        library_ = files_.path() / "items.so";
        deploy(test_plugin("contract_versions_base"), library_);
        json top = {{"watch", {{"debounce_ms", 20}, {"poll_interval_ms", 200}}},
                    {"deploy", {{"allowed_dirs", {files_.path().string(), test_plugin("x").parent_path().string()}}}}};
        host_ = std::make_unique<test_host>(std::vector<plugin_spec>{{"items", library_}}, top);
    }

    reply reload(const std::string& variant, const std::string& query = "", const std::string& prefix = "/modules") {
        return host_->admin("POST", prefix + "/items/reload" + query,
                            json{{"library", test_plugin("contract_versions_" + variant).string()}}.dump());
    }
    std::string version() { return http_request(host_->port("items"), "GET", "/v1/version").json()["version"]; }
    json status() { return host_->admin("GET", "/modules/items").json(); }
    // The module's builds mapped into this process (its shadow copies).
    std::size_t mapped_builds() {
        std::set<fs::path> builds;
        for (auto& f : mapped_files())
            if (f.parent_path() == host_->data_dir() / "shadow") builds.insert(f);
        return builds.size();
    }
    std::string audit_log() {
        std::ifstream in(host_->data_dir() / "audit.log");
        std::stringstream text;
        text << in.rdbuf();
        return text.str();
    }

    temp_dir files_;
    fs::path library_;
    std::unique_ptr<test_host> host_;
};

// --- each breaking kind is refused, with its pointer ---

struct breaking_case {
    std::string variant, kind, method, path, pointer;
    std::size_t count;  // changes listed: a changed component shows at every operation using it
};

bool lists(const json& errors, const breaking_case& c) {
    for (auto& e : errors)
        if (e["kind"] == c.kind && e["method"] == c.method && e["path"] == c.path && e["pointer"] == c.pointer &&
            e["in"] == "contract" && e["message"].is_string())
            return true;
    return false;
}

class BreakingBuild : public Gate, public ::testing::WithParamInterface<breaking_case> {};

TEST_P(BreakingBuild, IsRefusedWithItsChangeWhileTheOldGenerationServes) {
    const auto& c = GetParam();
    auto r = reload(c.variant);
    ASSERT_EQ(r.status, 422) << r.body;
    EXPECT_EQ(r.header("Content-Type"), "application/problem+json");
    auto problem = r.json();
    EXPECT_EQ(problem["step"], "contract");
    EXPECT_EQ(problem["count"], c.count);
    ASSERT_EQ(problem["errors"].size(), c.count) << problem.dump(2);
    EXPECT_TRUE(lists(problem["errors"], c)) << problem.dump(2);
    for (auto& e : problem["errors"]) EXPECT_EQ(e["kind"], c.kind) << e.dump();
    EXPECT_EQ(version(), base_version);
    EXPECT_EQ(status()["generation"], 1);
}

INSTANTIATE_TEST_SUITE_P(
    Gate, BreakingBuild,
    ::testing::Values(
        breaking_case{"removed", "operation_removed", "GET", "/v1/items", "", 1},
        breaking_case{"required", "required_added", "POST", "/v1/items", "/request/properties/note", 1},
        breaking_case{"tightened", "bound_tightened", "POST", "/v1/items", "/request/properties/name/maxLength", 1},
        breaking_case{"enum", "enum_narrowed", "POST", "/v1/items", "/request/properties/kind/enum", 1},
        breaking_case{"closed", "additional_properties_closed", "POST", "/v1/items", "/request/additionalProperties", 1},
        breaking_case{"response_field", "response_field_removed", "GET", "/v1/items/{id}",
                      "/responses/200/properties/name", 3},
        breaking_case{"status", "status_removed", "POST", "/v1/items", "/responses/201", 1},
        breaking_case{"auth", "auth_added", "GET", "/v1/items/{id}", "/auth", 1},
        breaking_case{"scope", "scope_added", "GET", "/v1/items/{id}/history", "/auth/scopes/1", 1}),
    [](const ::testing::TestParamInfo<breaking_case>& info) { return info.param.variant; });

TEST_F(Gate, TheModuleShowsItsLastRefusal) {
    ASSERT_EQ(reload("tightened").status, 422);
    auto s = status();
    ASSERT_TRUE(s["last_refusal"].is_object()) << s.dump(2);
    EXPECT_EQ(s["last_refusal"]["trigger"], "admin API");
    EXPECT_EQ(s["last_refusal"]["library"], test_plugin("contract_versions_tightened").string());
    EXPECT_EQ(s["last_refusal"]["count"], 1);
    ASSERT_EQ(s["last_refusal"]["changes"].size(), 1u);
    EXPECT_EQ(s["last_refusal"]["changes"][0]["pointer"], "/request/properties/name/maxLength");
    EXPECT_FALSE(s["last_refusal"]["at"].get<std::string>().empty());
    EXPECT_EQ(s["counters"]["refused_breaking"], 1);
}

TEST_F(Gate, ARefusedBuildNeverRunsItsStartSoItNeverMigratesAnything) {
    auto started = [&] {
        std::ifstream in(host_->data_dir() / "contract_versions.started");
        std::stringstream text;
        text << in.rdbuf();
        return text.str();
    };
    const auto before = started();
    ASSERT_FALSE(before.empty()) << "the base build's start() left no mark";
    ASSERT_EQ(reload("removed").status, 422);
    EXPECT_EQ(started(), before);
    ASSERT_EQ(reload("removed", "?force=true").status, 200);
    EXPECT_NE(started(), before);  // forced, it does start
}

TEST_F(Gate, ARefusedBuildIsShutDownAndUnloaded) {
    ASSERT_EQ(mapped_builds(), 1u);
    ASSERT_EQ(reload("removed").status, 422);
    EXPECT_EQ(mapped_builds(), 1u);
    // ... and its shadow copy is gone: each distinct refused build would otherwise leave one.
    std::size_t copies = 0;
    for (auto& f : fs::directory_iterator(host_->data_dir() / "shadow")) copies += f.path().extension() == ".so";
    EXPECT_EQ(copies, 1u);
}

// --- additive builds swap ---

class AdditiveBuild : public Gate, public ::testing::WithParamInterface<std::string> {};

TEST_P(AdditiveBuild, Swaps) {
    auto r = reload(GetParam());
    ASSERT_EQ(r.status, 200) << r.body;
    EXPECT_EQ(r.json()["result"], "swapped");
    EXPECT_FALSE(r.json().contains("breaking_changes"));
    EXPECT_EQ(version().substr(version().find('-') + 1), GetParam());
}

INSTANTIATE_TEST_SUITE_P(Gate, AdditiveBuild, ::testing::Values("additive_fields", "additive_operations"),
                         [](const ::testing::TestParamInfo<std::string>& info) { return info.param; });

TEST_F(Gate, TheNewOperationOfAnAdditiveBuildAnswers) {
    ASSERT_EQ(reload("additive_operations").status, 200);
    EXPECT_EQ(http_request(host_->port("items"), "DELETE", "/v1/items/1").status, 204);
}

// --- force ---

TEST_F(Gate, ForceSwapsABreakingBuildAndListsWhatItAccepted) {
    auto r = reload("removed", "?force=true");
    ASSERT_EQ(r.status, 200) << r.body;
    EXPECT_EQ(r.json()["result"], "swapped");
    ASSERT_EQ(r.json()["breaking_changes"].size(), 1u);
    EXPECT_EQ(r.json()["breaking_changes"][0]["kind"], "operation_removed");
    EXPECT_EQ(version(), "1.1.0-removed");
    EXPECT_EQ(http_request(host_->port("items"), "GET", "/v1/items").status, 405);  // only POST is left there
}

TEST_F(Gate, AForcedSwapIsAudited) {
    ASSERT_EQ(reload("removed", "?force=true").status, 200);
    auto log = audit_log();
    auto line = log.substr(log.rfind("reload?force=true"));
    EXPECT_NE(line.find("forced: 1 breaking change(s)"), std::string::npos) << log;
}

TEST_F(Gate, ForceFalseKeepsTheGate) {
    EXPECT_EQ(reload("removed", "?force=false").status, 422);
    EXPECT_EQ(version(), base_version);
}

TEST_F(Gate, ForceTakesOnlyTrueOrFalseOnce) {
    for (const char* query : {"?force=yes", "?force=1", "?force=", "?force=true&force=true"}) {
        auto r = reload("removed", query);
        EXPECT_EQ(r.status, 400) << query << ": " << r.body;
        EXPECT_EQ(r.header("Content-Type"), "application/problem+json") << query;
        EXPECT_EQ(r.json()["errors"][0]["pointer"], "/force") << query;
    }
    EXPECT_EQ(version(), base_version);
}

TEST_F(Gate, TheDeprecatedReloadRouteIsGatedAndCanForce) {
    auto refused = reload("removed", "", "/plugins");
    ASSERT_EQ(refused.status, 422) << refused.body;
    EXPECT_EQ(refused.json()["plugin"], "items");
    EXPECT_EQ(reload("removed", "?force=true", "/plugins").status, 200);
    EXPECT_EQ(version(), "1.1.0-removed");
}

// --- a file change cannot force ---

TEST_F(Gate, AFileTriggeredBreakingSwapIsRefused) {
    deploy(test_plugin("contract_versions_removed"), library_);
    ASSERT_TRUE(eventually([&] { return status()["last_refusal"].is_object(); }));
    auto s = status();
    EXPECT_EQ(s["last_refusal"]["trigger"], "file change");
    EXPECT_EQ(s["last_refusal"]["changes"][0]["kind"], "operation_removed");
    EXPECT_EQ(s["generation"], 1);
    EXPECT_EQ(version(), base_version);
    EXPECT_EQ(http_request(host_->port("items"), "GET", "/v1/items").status, 200);
}

// --- a rollback returns to a build that served: not gated ---

TEST_F(Gate, ARollbackIsNotGated) {
    ASSERT_EQ(reload("additive_operations").status, 200);
    auto r = host_->admin("POST", "/modules/items/rollback");
    ASSERT_EQ(r.status, 200) << r.body;
    EXPECT_FALSE(r.json()["breaking_changes"].empty());  // DELETE /v1/items/{id} went, among others
    EXPECT_EQ(version(), base_version);
}

}  // namespace
}  // namespace berth::test
