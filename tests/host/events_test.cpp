// GET /events and the swap metrics tell the same story whoever started a change: a module's
// first generation is a load (never a swap), a config reload's rebuilds and their undo are
// swaps, /events says when the host restarted, and a failed reload says whether it was undone.
#include "support/file_host.hpp"
#include "support/http_client.hpp"
#include "support/test_host.hpp"

#include <gtest/gtest.h>

#include <sstream>

namespace berth::test {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

// The events of `kind` about `module` among the last 1000, oldest first.
std::vector<json> events_of(const file_host& h, const std::string& kind, const std::string& module) {
    auto r = h.admin("GET", "/events?limit=1000");
    if (r.status != 200) throw std::runtime_error("GET /events answered " + std::to_string(r.status));
    const auto page = r.json();  // kept: the loop reads into it
    std::vector<json> out;
    for (auto& e : page["events"])
        if (e["kind"] == kind && e["module"] == module) out.push_back(e);
    return out;
}

// The berth_swaps_total samples of one module, as lines of /metrics.
std::vector<std::string> swap_samples(const file_host& h, const std::string& module) {
    std::istringstream in(h.admin("GET", "/metrics").body);
    std::vector<std::string> out;
    const std::string prefix = "berth_swaps_total{module=\"" + module + "\"";
    for (std::string line; std::getline(in, line);)
        if (line.rfind(prefix, 0) == 0) out.push_back(line);
    return out;
}

json actions(const json& plan) {
    json out = json::array();
    for (auto& s : plan) out.push_back(s["action"].get<std::string>() + " " + s["module"].get<std::string>());
    return out;
}

class Events : public ::testing::Test {
protected:
    file_host host_{{{"greet", module_entry(shipped_plugin("greeter"), {{"settings", {{"salutation", "Hello"}}}})},
                     {"probe", module_entry(test_plugin("swap_probe_v1"))}},
                    {{"deploy", {{"allowed_dirs", {test_plugin("x").parent_path().string(),
                                                   shipped_plugin("x").parent_path().string()}}}}}};

    reply add(const json& body) { return host_.admin("POST", "/modules", body.dump()); }
    reply reload() { return host_.admin("POST", "/config/reload", "{}"); }
};

TEST_F(Events, AModuleAddedByTheApiIsALoadNotASwap) {
    ASSERT_EQ(add({{"name", "second"}, {"library", test_plugin("swap_probe_v2").string()}, {"port", 0}}).status, 201);
    auto loads = events_of(host_, "load", "second");
    ASSERT_EQ(loads.size(), 1u);
    EXPECT_EQ(loads[0]["fields"]["outcome"], "swapped");
    EXPECT_EQ(loads[0]["fields"]["trigger"], "admin API");
    EXPECT_EQ(loads[0]["fields"]["to_generation"], 1);
    EXPECT_FALSE(loads[0]["fields"].contains("from_generation"));
    EXPECT_TRUE(events_of(host_, "swap", "second").empty());
}

TEST_F(Events, AModuleAddedByTheApiIsNotCountedAsASwap) {
    ASSERT_EQ(add({{"name", "second"}, {"library", test_plugin("swap_probe_v2").string()}, {"port", 0}}).status, 201);
    EXPECT_TRUE(swap_samples(host_, "second").empty()) << swap_samples(host_, "second").front();
}

TEST_F(Events, AFailedAddIsAFailedLoadAndLeavesNoSwapSeries) {
    auto r = add({{"name", "third"}, {"library", test_plugin("not_a_plugin").string()}, {"port", 0}});
    ASSERT_EQ(r.status, 422) << r.body;
    auto loads = events_of(host_, "load", "third");
    ASSERT_EQ(loads.size(), 1u);
    EXPECT_EQ(loads[0]["fields"]["outcome"], "failed");
    EXPECT_EQ(loads[0]["fields"]["step"], r.json()["step"]);
    EXPECT_TRUE(events_of(host_, "swap", "third").empty());
    EXPECT_TRUE(swap_samples(host_, "third").empty()) << swap_samples(host_, "third").front();
}

TEST_F(Events, ASettingsChangeByConfigReloadIsASwapFromTheServingGeneration) {
    host_.config()["modules"]["greet"]["settings"]["salutation"] = "Howdy";
    host_.write();
    ASSERT_EQ(reload().status, 200);
    auto swaps = events_of(host_, "swap", "greet");
    ASSERT_EQ(swaps.size(), 1u);
    EXPECT_EQ(swaps[0]["fields"]["outcome"], "swapped");
    EXPECT_EQ(swaps[0]["fields"]["trigger"], "config reload");
    EXPECT_EQ(swaps[0]["fields"]["from_generation"], 1);
    EXPECT_EQ(swaps[0]["fields"]["to_generation"], 2);
}

TEST_F(Events, ASettingsChangeByConfigReloadIsCountedAsASwap) {
    host_.config()["modules"]["greet"]["settings"]["salutation"] = "Howdy";
    host_.write();
    ASSERT_EQ(reload().status, 200);
    EXPECT_EQ(swap_samples(host_, "greet"),
              std::vector<std::string>{R"(berth_swaps_total{module="greet",outcome="swapped",reason="none"} 1)"});
}

TEST_F(Events, TheUndoOfAReconfigureIsASwapRestoringTheGenerationBefore) {
    host_.config()["modules"]["greet"]["settings"]["salutation"] = "Howdy";
    host_.config()["modules"]["probe"]["library"] = test_plugin("swap_probe_failing_start").string();
    host_.write();
    auto r = reload();
    ASSERT_EQ(r.status, 409) << r.body;
    ASSERT_EQ(actions(r.json()["plan"]), json({"reconfigure greet", "swap probe"}));
    auto swaps = events_of(host_, "swap", "greet");
    ASSERT_EQ(swaps.size(), 2u);
    EXPECT_EQ(swaps[1]["fields"]["trigger"], "config reload undo");
    EXPECT_EQ(swaps[1]["fields"]["outcome"], "swapped");
    EXPECT_EQ(swaps[1]["fields"]["restores"], 1);
    EXPECT_EQ(swaps[1]["fields"]["from_generation"], 2);
}

TEST_F(Events, AFailedReloadCountsItsStepFromOneAndSaysItWasRolledBack) {
    host_.config()["modules"]["greet"]["settings"]["salutation"] = "Howdy";
    host_.config()["modules"]["probe"]["library"] = test_plugin("swap_probe_failing_start").string();
    host_.write();
    auto r = reload();
    ASSERT_EQ(r.status, 409) << r.body;
    auto j = r.json();
    ASSERT_EQ(actions(j["plan"]), json({"reconfigure greet", "swap probe"}));
    EXPECT_EQ(j["failed_step"], 2);
    EXPECT_EQ(j["step"]["module"], "probe");
    EXPECT_NE(j["detail"].get<std::string>().find("step 2 (swap probe)"), std::string::npos) << j["detail"];
    EXPECT_EQ(j["rolled_back"], true);
    EXPECT_EQ(j["undo_failures"], json::array());
}

TEST_F(Events, PageSaysTheNewestSeqOfTheHost) {
    auto r = host_.admin("GET", "/events?limit=1000");
    ASSERT_EQ(r.status, 200);
    auto j = r.json();
    ASSERT_FALSE(j["events"].empty());
    EXPECT_EQ(j["last"], j["events"].back()["seq"]);
}

// A client that read up to #100000 of an earlier run sees that the host's newest is older.
TEST_F(Events, AnAfterPastTheNewestSeqAnswersNextAndLastBelowIt) {
    auto newest = host_.admin("GET", "/events?limit=1000").json()["events"].back()["seq"].get<std::uint64_t>();
    auto r = host_.admin("GET", "/events?after=100000");
    ASSERT_EQ(r.status, 200) << r.body;
    auto j = r.json();
    EXPECT_TRUE(j["events"].empty());
    EXPECT_GE(j["last"].get<std::uint64_t>(), newest);  // an admin call may have been emitted since
    EXPECT_LT(j["last"].get<std::uint64_t>(), 100000u);
    EXPECT_EQ(j["next"], j["last"]);
}

// An undo can fail: here a removed module's library was deleted before the reload, so the
// removal cannot be undone. The answer says it was not rolled back, and which undo failed.
TEST(EventsUndo, AnUndoThatFailsIsReportedAsNotRolledBack) {
    temp_dir libs;
    const auto doomed = libs.path() / "doomed.so";
    fs::copy_file(test_plugin("swap_probe_v1"), doomed);
    file_host host{{{"doomed", module_entry(doomed, {{"watch", false}})},
                    {"probe", module_entry(test_plugin("swap_probe_v1"))}},
                   {{"deploy", {{"allowed_dirs", {test_plugin("x").parent_path().string(), libs.path().string()}}}}}};
    ASSERT_TRUE(host.runtime().module_port("doomed"));
    fs::remove(doomed);
    host.config()["modules"].erase("doomed");
    host.config()["modules"]["probe"]["library"] = test_plugin("swap_probe_failing_start").string();
    host.write();
    auto r = host.admin("POST", "/config/reload", "{}");
    ASSERT_EQ(r.status, 409) << r.body;
    auto j = r.json();
    ASSERT_EQ(actions(j["plan"]), json({"remove doomed", "swap probe"}));
    EXPECT_EQ(j["failed_step"], 2);
    EXPECT_EQ(j["rolled_back"], false);
    ASSERT_EQ(j["undo_failures"].size(), 1u) << r.body;
    EXPECT_EQ(j["undo_failures"][0].get<std::string>().rfind("step 1 (remove doomed): ", 0), 0u) << r.body;
}

}  // namespace
}  // namespace berth::test
