// Issue 11 at the edges the operator sees without a worker running: the "isolation" and
// "process" keys (read, bounded, pointed at when wrong), the generation's "isolation" on the
// admin API, and berth_worker_up (the figures counted from events: worker_metrics_test.cpp).
#include <berth/host/config.hpp>

#include "admin/status_json.hpp"
#include "ops/clock_text.hpp"
#include "ops/metrics.hpp"
#include "ops/metrics_workers.hpp"
#include "ops/telemetry.hpp"
#include "support/test_host.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

namespace berth::host {
namespace {

nlohmann::json base() {
    return nlohmann::json::parse(R"({"modules": {"shop": {"library": "plugins/shop.so", "port": 9001},
                                                  "other": {"library": "plugins/other.so", "port": 9002}}})");
}

const module_config& module_named(const config& c, const std::string& name) {
    for (auto& m : c.modules)
        if (m.name == name) return m;
    throw std::runtime_error("no module " + name);
}

TEST(ConfigIsolation, TheIsolationAndProcessKeysAreRead) {
    auto doc = base();
    doc["worker_executable"] = "bin/berth-worker";
    doc["modules"]["shop"]["isolation"] = "process";
    doc["modules"]["shop"]["process"] = {{"memory_limit_mb", 256},      {"max_open_files", 64},
                                         {"user", "berth_shop"},        {"max_restarts", 3},
                                         {"restart_window_ms", 10000},  {"heartbeat_interval_ms", 200},
                                         {"heartbeat_timeout_ms", 900}, {"stop_timeout_ms", 500}};
    auto r = parse_config(doc.dump(), "/etc/berth");
    ASSERT_TRUE(r.value) << r.errors[0].pointer << ": " << r.errors[0].message;
    EXPECT_EQ(r.value->worker_executable, "/etc/berth/bin/berth-worker");  // against the file's directory
    const auto& shop = module_named(*r.value, "shop");
    EXPECT_EQ(shop.isolation, isolation::process);
    EXPECT_EQ(shop.process.memory_limit_mb, 256u);
    EXPECT_EQ(shop.process.max_open_files, 64u);
    EXPECT_EQ(shop.process.user, "berth_shop");
    EXPECT_EQ(shop.process.max_restarts, 3u);
    EXPECT_EQ(shop.process.restart_window_ms, 10000u);
    EXPECT_EQ(shop.process.heartbeat_interval_ms, 200u);
    EXPECT_EQ(shop.process.heartbeat_timeout_ms, 900u);
    EXPECT_EQ(shop.process.stop_timeout_ms, 500u);
}

TEST(ConfigIsolation, AModuleWithoutTheKeysRunsInProcessAndTheWorkerProgramIsLeftToTheRuntime) {
    auto r = parse_config(base().dump(), "/etc/berth");
    ASSERT_TRUE(r.value);
    EXPECT_EQ(module_named(*r.value, "other").isolation, isolation::in_process);
    EXPECT_TRUE(r.value->worker_executable.empty());
    EXPECT_STREQ(to_string(isolation::in_process), "in-process");
    EXPECT_STREQ(to_string(isolation::process), "process");
}

struct bad_value {
    std::string name;
    nlohmann::json shop;  // merged into the shop module's entry
    std::string pointer;
    std::string says;
};

TEST(ConfigIsolation, EachBadValueNamesItsPointerAndTheReason) {
    const std::vector<bad_value> cases = {
        {"unknown placement", {{"isolation", "container"}}, "/modules/shop/isolation", "enum"},
        {"unknown process key", {{"process", {{"memory_mb", 64}}}}, "/modules/shop/process/memory_mb", "unknown"},
        {"memory too small to load anything", {{"process", {{"memory_limit_mb", 8}}}},
         "/modules/shop/process/memory_limit_mb", "0 (no limit) or at least 16"},
        {"memory past the bound", {{"process", {{"memory_limit_mb", 2000000}}}}, "/modules/shop/process/memory_limit_mb",
         "at most"},
        {"too few files", {{"process", {{"max_open_files", 8}}}}, "/modules/shop/process/max_open_files", "at least 16"},
        {"a user name that is no user name", {{"process", {{"user", "root; rm"}}}}, "/modules/shop/process/user",
         "pattern"},
        {"restarts past the bound", {{"process", {{"max_restarts", 1001}}}}, "/modules/shop/process/max_restarts",
         "at most 1000"},
        {"a window under a second", {{"process", {{"restart_window_ms", 999}}}},
         "/modules/shop/process/restart_window_ms", "at least 1000"},
        {"a deadline no longer than the interval",
         {{"process", {{"heartbeat_interval_ms", 1000}, {"heartbeat_timeout_ms", 1000}}}},
         "/modules/shop/process/heartbeat_timeout_ms", "more than heartbeat_interval_ms (1000)"},
        {"a default deadline under a longer interval", {{"process", {{"heartbeat_interval_ms", 6000}}}},
         "/modules/shop/process/heartbeat_timeout_ms", "more than heartbeat_interval_ms (6000)"},
        {"a stop with no time for SIGTERM", {{"process", {{"stop_timeout_ms", 50}}}},
         "/modules/shop/process/stop_timeout_ms", "at least 100"},
    };
    for (auto& c : cases) {
        SCOPED_TRACE(c.name);
        auto doc = base();
        doc["modules"]["shop"].merge_patch(c.shop);
        auto r = parse_config(doc.dump(), "/etc/berth");
        EXPECT_FALSE(r.value);
        ASSERT_FALSE(r.errors.empty());
        bool found = false;
        for (auto& e : r.errors) found |= e.pointer == c.pointer && e.message.find(c.says) != std::string::npos;
        EXPECT_TRUE(found) << "got: " << r.errors[0].pointer << ": " << r.errors[0].message;
    }
}

TEST(ConfigIsolation, AnEmptyWorkerExecutableIsRefused) {
    auto doc = base();
    doc["worker_executable"] = "";
    auto r = parse_config(doc.dump(), "/etc/berth");
    ASSERT_FALSE(r.value);
    EXPECT_EQ(r.errors[0].pointer, "/worker_executable");
}

TEST(ConfigIsolation, AnInProcessGenerationSaysSoAndHasNoWorker) {
    test::test_host host({{"probe", test::test_plugin("swap_probe_v1")}});
    auto one = host.admin("GET", "/modules/probe");
    ASSERT_EQ(one.status, 200) << one.body;
    const auto active = one.json()["active"];
    EXPECT_EQ(active["isolation"], "in-process");
    EXPECT_FALSE(active.contains("worker")) << active.dump();
    auto list = host.admin("GET", "/modules");
    ASSERT_EQ(list.status, 200) << list.body;
    auto modules = list.json();
    if (modules.is_object()) modules = modules["modules"];
    ASSERT_EQ(modules.size(), 1u) << list.body;
    EXPECT_EQ(modules[0]["active"]["isolation"], "in-process");
    EXPECT_EQ(host.admin("GET", "/readyz").status, 200);
    // No worker, no worker_up sample (the family is declared, nothing more).
    auto metrics = host.admin("GET", "/metrics");
    ASSERT_EQ(metrics.status, 200);
    EXPECT_NE(metrics.body.find("# TYPE berth_worker_up gauge"), std::string::npos);
    EXPECT_EQ(metrics.body.find("berth_worker_up{"), std::string::npos) << metrics.body;
}

TEST(ConfigIsolation, AModuleAddedByTheApiIsCheckedLikeTheFile) {
    test::test_host host({{"probe", test::test_plugin("swap_probe_v1")}});
    const nlohmann::json entry = {{"name", "extra"},
                                  {"library", test::test_plugin("swap_probe_v2").string()},
                                  {"port", 0},
                                  {"isolation", "process"},
                                  {"process", {{"heartbeat_interval_ms", 2000}, {"heartbeat_timeout_ms", 1500}}}};
    auto r = host.admin("POST", "/modules", entry.dump());
    ASSERT_EQ(r.status, 400) << r.body;
    auto errors = r.json()["errors"];
    ASSERT_EQ(errors.size(), 1u) << r.body;
    EXPECT_EQ(errors[0]["pointer"], "/process/heartbeat_timeout_ms") << r.body;
    EXPECT_EQ(host.admin("GET", "/modules/extra").status, 404);
}

// A module whose active generation runs in a worker that crashed once and is being restarted,
// with a previous generation whose worker stopped with it.
module_snapshot restarting_module() {
    module_snapshot s;
    s.name = "shop";
    s.active.emplace();
    s.active->number = 4;
    s.active->isolation = "process";
    s.active->worker = worker_snapshot{0, "restarting", 1, "killed by signal 11 (SIGSEGV)",
                                       std::chrono::system_clock::time_point(std::chrono::seconds(1'800'000'000)),
                                       std::chrono::system_clock::time_point(std::chrono::seconds(1'800'000'001))};
    s.previous = s.active;
    s.previous->number = 3;
    s.older.push_back(*s.active);
    s.older.back().number = 2;
    s.older.back().worker->state = "serving";
    s.older.back().worker->pid = 4242;
    return s;
}

TEST(WorkerStatus, AProcessGenerationShowsItsWorkerWithUtcTimes) {
    const auto j = admin::to_json(restarting_module());
    const auto w = j["active"]["worker"];
    EXPECT_EQ(j["active"]["isolation"], "process");
    EXPECT_EQ(w["pid"], 0);
    EXPECT_EQ(w["state"], "restarting");
    EXPECT_EQ(w["restarts"], 1);
    EXPECT_EQ(w["last_exit"], "killed by signal 11 (SIGSEGV)");
    EXPECT_EQ(w["last_exit_at"], ops::utc_text(std::chrono::system_clock::time_point(std::chrono::seconds(1'800'000'000))));
    EXPECT_EQ(w["next_restart_at"].get<std::string>().back(), 'Z') << w;
    EXPECT_EQ(j["older"][0]["worker"]["pid"], 4242);
    EXPECT_EQ(j["previous"]["isolation"], "process");
    EXPECT_FALSE(j["previous"].contains("worker")) << "a past generation's worker is gone: " << j["previous"];
}

TEST(WorkerStatus, AWorkerThatNeverExitedHasNullExitFields) {
    auto s = restarting_module();
    s.active->worker = worker_snapshot{4243, "serving", 0, "", std::nullopt, std::nullopt};
    const auto w = admin::to_json(s)["active"]["worker"];
    EXPECT_TRUE(w["last_exit"].is_null()) << w;
    EXPECT_TRUE(w["last_exit_at"].is_null()) << w;
    EXPECT_TRUE(w["next_restart_at"].is_null()) << w;
}

TEST(WorkerMetrics, EachGenerationsWorkerIsUpOnlyWhileItServes) {
    ops::exposition out;
    ops::collect_workers(out, {restarting_module()});
    const auto text = out.text();
    EXPECT_NE(text.find("berth_worker_up{module=\"shop\",generation=\"4\"} 0"), std::string::npos) << text;
    EXPECT_NE(text.find("berth_worker_up{module=\"shop\",generation=\"2\"} 1"), std::string::npos) << text;
}

}  // namespace
}  // namespace berth::host
