// POST /config/reload: the file read again, validated whole, planned, applied (or undone).
#include "support/file_host.hpp"
#include "support/http_client.hpp"
#include "support/latch.hpp"
#include "support/version_load.hpp"
#include "support/eventually.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <functional>
#include <iostream>
#include <set>
#include <thread>

namespace berth::test {
namespace {

nlohmann::json actions(const nlohmann::json& plan) {
    nlohmann::json out = nlohmann::json::array();
    for (auto& s : plan) out.push_back(s["action"].get<std::string>() + " " + s["module"].get<std::string>());
    return out;
}

std::uint64_t generation_of(file_host& h, const std::string& name) {
    for (auto& s : h.runtime().modules())
        if (s.name == name && s.active) return s.active->number;
    return 0;
}

// Keeps requesting one target on keep-alive connections (reconnecting when closed, to whatever
// port `port` says now), counting answers that are not 200.
class greeting_load {
public:
    greeting_load(std::function<std::uint16_t()> port, std::string target)
        : thread_([this, port, target] {
              std::unique_ptr<http_connection> c;
              while (!stop_) {
                  try {
                      if (!c) c = std::make_unique<http_connection>(port());
                      auto r = c->request("GET", target);
                      (r.status == 200 ? ok_ : failed_)++;
                      if (!r.keep_alive) c.reset();
                  } catch (const std::exception&) {
                      ++failed_;
                      c.reset();
                  }
              }
          }) {}
    ~greeting_load() { finish(); }
    void finish() {
        stop_ = true;
        if (thread_.joinable()) thread_.join();
    }
    long ok() const { return ok_; }
    long failed() const { return failed_; }

private:
    std::atomic<bool> stop_{false};
    std::atomic<long> ok_{0}, failed_{0};
    std::thread thread_;
};

class ConfigReload : public ::testing::Test {
protected:
    latches latches_;  // before the host: its directory is in the host's config
    file_host host_{{{"steady", module_entry(test_plugin("swap_probe_v1"))},
                     {"moved", module_entry(test_plugin("swap_probe_v1"), {{"settings", latches_.setting()}})},
                     {"greet", module_entry(shipped_plugin("greeter"), {{"settings", {{"salutation", "Hello"}}}})}},
                    {{"deploy", {{"allowed_dirs", {test_plugin("x").parent_path().string(),
                                                   shipped_plugin("x").parent_path().string()}}}},
                     // A drain waits for a held request as long as the test holds it.
                     {"drain_timeout_ms", 60000}}};

    reply reload(const std::string& query = "") { return host_.admin("POST", "/config/reload" + query, "{}"); }
};

TEST_F(ConfigReload, AnUnchangedFilePlansNothingAndTouchesNothing) {
    auto r = reload();
    ASSERT_EQ(r.status, 200) << r.body;
    EXPECT_TRUE(r.json()["plan"].empty());
    EXPECT_EQ(generation_of(host_, "steady"), 1u);
}

TEST_F(ConfigReload, ADryRunReturnsThePlanAndChangesNothing) {
    host_.config()["modules"]["extra"] = module_entry(test_plugin("swap_probe_v2"));
    host_.config()["modules"].erase("moved");
    host_.config()["modules"]["greet"]["settings"]["salutation"] = "Howdy";
    host_.write();
    auto r = reload("?dry_run=true");
    ASSERT_EQ(r.status, 200) << r.body;
    EXPECT_EQ(r.json()["applied"], false);
    EXPECT_EQ(actions(r.json()["plan"]), nlohmann::json({"remove moved", "add extra", "reconfigure greet"}));
    EXPECT_FALSE(host_.runtime().module_port("extra"));
    EXPECT_TRUE(host_.runtime().module_port("moved"));
    EXPECT_EQ(http_request(host_.port("greet"), "GET", "/v1/greetings/ann").json()["greeting"], "Hello, ann!");
}

TEST_F(ConfigReload, AnInvalidFileIsRefusedWithPointersIntoTheFile) {
    host_.config()["modules"]["moved"]["port"] = "eighty";
    host_.write();
    auto r = reload();
    ASSERT_EQ(r.status, 400) << r.body;
    EXPECT_EQ(r.json()["errors"][0]["pointer"], "/modules/moved/port");
    EXPECT_EQ(generation_of(host_, "moved"), 1u);
}

TEST_F(ConfigReload, ATopLevelKeyThatCannotChangeLiveIsRefusedByName) {
    host_.config()["drain_timeout_ms"] = 5000;
    host_.config()["modules"]["extra"] = module_entry(test_plugin("swap_probe_v2"));
    host_.write();
    auto r = reload();
    ASSERT_EQ(r.status, 400) << r.body;
    EXPECT_EQ(r.json()["errors"][0]["pointer"], "/drain_timeout_ms");
    EXPECT_FALSE(host_.runtime().module_port("extra"));
}

TEST_F(ConfigReload, ARemovedModuleIsDrainedAndItsPortClosed) {
    const auto port = host_.port("moved");
    host_.config()["modules"].erase("moved");
    host_.write();
    auto r = reload();
    ASSERT_EQ(r.status, 200) << r.body;
    EXPECT_EQ(r.json()["applied"], true);
    EXPECT_FALSE(host_.runtime().module_port("moved"));
    EXPECT_TRUE(port_is_released(port));
}

TEST_F(ConfigReload, AddRePortAndSettingsUnderLoadDropNothingOnTheUntouchedModule) {
    const auto new_port = free_port();
    version_load steady(host_.port("steady"), "/v1/version", 4);
    greeting_load greet([this] { return host_.port("greet"); }, "/v1/greetings/ann");
    greeting_load moved([this] { return host_.port("moved"); }, "/v1/version");
    ASSERT_TRUE(eventually([&] { return steady.requests() > 50 && greet.ok() > 10 && moved.ok() > 10; }));

    host_.config()["modules"]["extra"] = module_entry(shipped_plugin("greeter"));
    host_.config()["modules"]["moved"]["port"] = new_port;
    host_.config()["modules"]["greet"]["settings"]["salutation"] = "Howdy";
    host_.write();
    auto r = reload();
    ASSERT_EQ(r.status, 200) << r.body;
    EXPECT_EQ(r.json()["applied"], true);
    EXPECT_EQ(actions(r.json()["plan"]), nlohmann::json({"re-port moved", "add extra", "reconfigure greet"}));
    const long after = steady.requests();
    ASSERT_TRUE(eventually([&] { return steady.requests() > after + 50; }));  // still serving afterwards
    steady.finish();
    greet.finish();
    moved.finish();

    EXPECT_EQ(steady.failures(), 0);
    EXPECT_EQ(steady.versions(), std::set<std::string>{"1.0.0"});
    EXPECT_EQ(generation_of(host_, "steady"), 1u);  // the same generation: not swapped
    EXPECT_EQ(host_.port("moved"), new_port);
    EXPECT_EQ(http_request(new_port, "GET", "/v1/version").status, 200);
    EXPECT_EQ(http_request(host_.port("greet"), "GET", "/v1/greetings/ann").json()["greeting"], "Howdy, ann!");
    EXPECT_EQ(generation_of(host_, "greet"), 2u);
    EXPECT_EQ(http_request(host_.port("extra"), "GET", "/v1/greetings/bo").status, 200);
    // greet was swapped with a drain: it drops nothing either. Only the re-ported module may see
    // failures (its client reconnects to the new port), which are reported.
    EXPECT_EQ(greet.failed(), 0);
    std::cout << "[ reload  ] steady " << steady.requests() << " requests, 0 failed; greet " << greet.ok()
              << " ok; moved " << moved.ok() << " ok, " << moved.failed() << " failed\n";
}

TEST_F(ConfigReload, AFailedStepUndoesTheStepsBeforeIt) {
    host_.config()["modules"]["extra"] = module_entry(test_plugin("swap_probe_v2"));
    host_.config()["modules"]["moved"]["library"] = test_plugin("swap_probe_failing_start").string();
    host_.write();
    auto r = reload();
    ASSERT_EQ(r.status, 409) << r.body;
    auto j = r.json();
    EXPECT_EQ(actions(j["plan"]), nlohmann::json({"add extra", "swap moved"}));
    EXPECT_EQ(j["failed_step"], 2);  // counted from 1, as the detail's "step 2"
    EXPECT_EQ(j["step"]["module"], "moved");
    EXPECT_EQ(j["rolled_back"], true);
    EXPECT_NE(j["detail"].get<std::string>().find("failed: start: "), std::string::npos) << j["detail"];
    EXPECT_FALSE(host_.runtime().module_port("extra"));  // the added module is gone again
    EXPECT_EQ(generation_of(host_, "moved"), 1u);
    EXPECT_EQ(http_request(host_.port("moved"), "GET", "/v1/version").json()["version"], "1.0.0");
    EXPECT_EQ(host_.runtime().modules().size(), 3u);
}

TEST_F(ConfigReload, AFailedStepMovesARePortedModuleBack) {
    const auto new_port = free_port();
    host_.config()["modules"]["moved"]["port"] = new_port;
    host_.config()["modules"]["steady"]["library"] = test_plugin("swap_probe_failing_start").string();
    host_.write();
    auto r = reload();
    ASSERT_EQ(r.status, 409) << r.body;
    EXPECT_EQ(actions(r.json()["plan"]), nlohmann::json({"re-port moved", "swap steady"}));
    EXPECT_TRUE(port_is_released(new_port));
    EXPECT_NE(host_.port("moved"), new_port);
    EXPECT_EQ(http_request(host_.port("moved"), "GET", "/v1/version").status, 200);
    EXPECT_EQ(generation_of(host_, "steady"), 1u);
}

TEST_F(ConfigReload, AFailedStepLoadsARemovedModuleAgain) {
    host_.config()["modules"].erase("moved");
    host_.config()["modules"]["steady"]["library"] = test_plugin("swap_probe_failing_start").string();
    host_.write();
    auto r = reload();
    ASSERT_EQ(r.status, 409) << r.body;
    EXPECT_EQ(actions(r.json()["plan"]), nlohmann::json({"remove moved", "swap steady"}));
    ASSERT_TRUE(host_.runtime().module_port("moved"));
    EXPECT_EQ(http_request(host_.port("moved"), "GET", "/v1/version").json()["version"], "1.0.0");
}

TEST_F(ConfigReload, ASecondReloadWhileOneRunsIs409) {
    // The first reload removes a module with a request in flight: it is draining when the second comes.
    http_connection c(host_.port("moved"));
    reply held, first;
    const auto target = latches_.hold("drain");
    std::thread client([&] { held = c.request("GET", target); });
    ASSERT_TRUE(eventually([&] {
        for (auto& s : host_.runtime().modules())
            if (s.name == "moved") return s.queued_or_running == 1;
        return false;
    }));
    host_.config()["modules"].erase("moved");
    host_.write();
    std::thread reloader([&] { first = reload(); });
    ASSERT_TRUE(eventually([&] { return !host_.runtime().module_port("moved"); }));  // out of the set, draining
    auto second = reload();  // the held request keeps the first one draining until released
    latches_.release("drain");
    reloader.join();
    client.join();
    EXPECT_EQ(second.status, 409) << second.body;
    EXPECT_EQ(first.status, 200) << first.body;
    EXPECT_EQ(held.status, 200) << held.body;  // the drain let it finish
}

TEST_F(ConfigReload, TheRuntimeCallReportsTheSamePlan) {
    host_.config()["modules"]["greet"]["settings"]["salutation"] = "Howdy";
    host_.write();
    auto report = host_.runtime().reload_config(true);
    ASSERT_TRUE(report.errors.empty());
    ASSERT_EQ(report.plan.size(), 1u);
    EXPECT_EQ(report.plan[0].action, "reconfigure");
    EXPECT_FALSE(report.applied);
}

TEST_F(ConfigReload, AnIsolationChangeIsASwapOfThatModuleOnly) {
    host_.config()["modules"]["greet"]["isolation"] = "process";
    host_.write();
    auto r = reload("?dry_run=true");
    ASSERT_EQ(r.status, 200) << r.body;
    const auto plan = r.json()["plan"];
    EXPECT_EQ(actions(plan), nlohmann::json({"swap greet"}));
    ASSERT_EQ(plan.size(), 1u);
    EXPECT_NE(plan[0]["detail"].get<std::string>().find("isolation in-process -> process"), std::string::npos) << plan;
}

TEST_F(ConfigReload, TheProcessBlockOfAnInProcessModulePlansNothing) {
    // Read only when isolation is "process": a new generation for it would change nothing.
    host_.config()["modules"]["greet"]["process"] = {{"memory_limit_mb", 512}};
    host_.write();
    auto r = reload("?dry_run=true");
    ASSERT_EQ(r.status, 200) << r.body;
    EXPECT_TRUE(r.json()["plan"].empty()) << r.body;
}

TEST_F(ConfigReload, IsAudited) {
    ASSERT_EQ(reload("?dry_run=true").status, 200);
    auto lines = host_.audit();
    ASSERT_EQ(lines.size(), 1u);
    EXPECT_EQ(lines[0]["call"], "POST /config/reload?dry_run=true");
    EXPECT_EQ(lines[0]["status"], 200);
}

TEST_F(ConfigReload, NeedsTheAdminToken) {
    auto r = http_request(host_.runtime().admin_port(), "POST", "/config/reload", "{}", {{"Content-Type", "application/json"}});
    EXPECT_EQ(r.status, 401);
}

}  // namespace
}  // namespace berth::test
