// Hot swap: a module moves to new code while requests keep flowing; failures leave the old
// generation serving and say why; old generations drain and really leave memory.
#include "support/eventually.hpp"
#include "support/http_client.hpp"
#include "support/version_load.hpp"
#include "support/process_maps.hpp"
#include "support/test_host.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <fstream>
#include <future>
#include <mutex>
#include <thread>

namespace berth::test {
namespace {

namespace fs = std::filesystem;


// The deploy contract: write beside the target, then rename over it.
void deploy(const fs::path& from, const fs::path& to) {
    auto tmp = to.parent_path() / ("." + to.filename().string() + ".tmp");
    fs::copy_file(from, tmp, fs::copy_options::overwrite_existing);
    fs::rename(tmp, to);
}

class Swap : public ::testing::Test {
protected:
    void SetUp() override { start(test_plugin("swap_probe_v1")); }

    void start(const fs::path& initial, nlohmann::json options = nlohmann::json::object(),
               nlohmann::json top = nlohmann::json::object()) {
        host_.reset();
        library_ = files_.path() / "probe.so";
        if (fs::exists(initial)) deploy(initial, library_);
        else std::ofstream(library_) << "not yet a plugin\n";
        // Reloads name builds from the test plugin directory as well as the deployed copy's.
        nlohmann::json t = {{"drain_timeout_ms", 2000},
                            {"ready_timeout_ms", 1000},
                            {"watch", {{"debounce_ms", 20}, {"poll_interval_ms", 200}}},
                            {"deploy", {{"allowed_dirs", {files_.path().string(), test_plugin("x").parent_path().string()}}}}};
        t.merge_patch(top);
        host_ = std::make_unique<test_host>(std::vector<plugin_spec>{{"probe", library_, options}}, t);
    }
    std::uint16_t port() { return host_->port("probe"); }
    nlohmann::json status() { return host_->admin("GET", "/modules/probe").json(); }
    std::string version() { return http_request(port(), "GET", "/v1/version").json()["version"]; }
    reply reload(const fs::path& library) {
        return host_->admin("POST", "/modules/probe/reload", nlohmann::json({{"library", library.string()}}).dump());
    }
    bool on_generation(int n) {
        auto s = status();
        return s["generation"] == n;
    }

    temp_dir files_;
    fs::path library_;
    std::unique_ptr<test_host> host_;
};

void expect_switched_once(const version_load& l, const std::string& from, const std::string& to) {
    ASSERT_FALSE(l.sequences().empty());
    for (auto& seq : l.sequences()) {
        ASSERT_FALSE(seq.empty());
        EXPECT_EQ(seq.front(), from);
        EXPECT_EQ(seq.back(), to);
        EXPECT_LE(seq.size(), 2u) << "a client went back to the old generation";
    }
}

TEST_F(Swap, ByAdminApiUnderLoadWithoutAFailedRequest) {
    ASSERT_EQ(version(), "1.0.0");
    version_load clients(port(), "/v1/version", 4);
    ASSERT_TRUE(eventually([&] { return clients.requests() > 200; }));
    auto r = reload(test_plugin("swap_probe_v2"));
    ASSERT_EQ(r.status, 200) << r.body;
    EXPECT_EQ(r.json()["result"], "swapped");
    EXPECT_EQ(r.json()["module"]["version"], "2.0.0");
    auto before = clients.requests();
    ASSERT_TRUE(eventually([&] { return clients.requests() > before + 200; }));
    clients.finish();
    EXPECT_EQ(clients.failures(), 0);
    expect_switched_once(clients, "1.0.0", "2.0.0");
    EXPECT_EQ(status()["counters"]["swaps"], 1);
}

TEST_F(Swap, ByFileReplacementUnderLoadWithoutAFailedRequest) {
    version_load clients(port(), "/v1/version", 4);
    ASSERT_TRUE(eventually([&] { return clients.requests() > 200; }));
    deploy(test_plugin("swap_probe_v2"), library_);
    ASSERT_TRUE(eventually([&] { return on_generation(2); }));
    auto before = clients.requests();
    ASSERT_TRUE(eventually([&] { return clients.requests() > before + 200; }));
    clients.finish();
    EXPECT_EQ(clients.failures(), 0);
    expect_switched_once(clients, "1.0.0", "2.0.0");
    EXPECT_EQ(version(), "2.0.0");
}

TEST_F(Swap, ARequestStartedOnTheOldGenerationFinishesThere) {
    start(test_plugin("swap_probe_v1"), {}, {{"drain_timeout_ms", 20000}});
    // Long enough that a slow (sanitized, loaded) machine still sees it in flight at the swap.
    auto slow = std::async(std::launch::async, [this] { return http_request(port(), "GET", "/v1/slow?ms=3000"); });
    ASSERT_TRUE(eventually([&] { return status()["in_flight"] == 1; }));
    ASSERT_EQ(reload(test_plugin("swap_probe_v2")).status, 200);
    EXPECT_EQ(version(), "2.0.0");  // new requests already go to the new code
    auto s = status();
    ASSERT_EQ(s["draining"].size(), 1u);
    EXPECT_EQ(s["draining"][0]["number"], 1);
    EXPECT_EQ(s["draining"][0]["in_flight"], 1);
    auto r = slow.get();
    ASSERT_EQ(r.status, 200);
    EXPECT_EQ(r.json()["version"], "1.0.0");
}

TEST_F(Swap, TheOldGenerationIsUnmappedAfterItDrains) {
    auto old_shadow = host_->data_dir() / "shadow" / ("probe-" + status()["sha256"].get<std::string>() + ".so");
    ASSERT_TRUE(is_mapped(old_shadow));
    ASSERT_EQ(reload(test_plugin("swap_probe_v2")).status, 200);
    ASSERT_TRUE(eventually([&] { return status()["counters"]["unloaded"] == 1; }));
    auto s = status();
    EXPECT_TRUE(s["draining"].empty());
    EXPECT_TRUE(s["retained"].empty());
    EXPECT_FALSE(is_mapped(old_shadow));
}

TEST_F(Swap, EachKindOfBadFileLeavesTheOldGenerationServing) {
    auto not_elf = files_.path() / "notes.txt";
    std::ofstream(not_elf) << "release notes, not a library\n";
    auto truncated = files_.path() / "truncated.so";
    {
        std::ifstream in(test_plugin("swap_probe_v2"), std::ios::binary);
        std::string bytes((std::istreambuf_iterator<char>(in)), {});
        std::ofstream(truncated, std::ios::binary) << bytes.substr(0, bytes.size() / 3);
    }
    struct bad {
        fs::path file;
        std::string step;
        std::string says;
    };
    const std::vector<bad> cases = {
        {not_elf, "elf", "not an ELF"},
        {truncated, "inspect", "truncated.so"},
        {files_.path() / "absent.so", "read", "cannot read"},
        {test_plugin("wrong_abi"), "descriptor", "ABI major 99"},
        {test_plugin("swap_probe_failing_start"), "start", "database unreachable"},
        // Another plugin behind this module's name (and database) is refused before it starts.
        {test_plugin("failing_start"), "describe", "is plugin 'failing_start', but module 'probe' serves plugin 'swap_probe'"},
        {test_plugin("swap_probe_not_ready"), "ready", "not ready"},
        {test_plugin("swap_probe_slow_ready"), "ready", "not ready within 1000 ms"},
    };
    int failures = 0;
    for (auto& c : cases) {
        SCOPED_TRACE(c.file.string());
        auto r = reload(c.file);
        ASSERT_EQ(r.status, 422) << r.body;
        EXPECT_EQ(r.header("Content-Type"), "application/problem+json");
        auto p = r.json();
        EXPECT_EQ(p["step"], c.step);
        EXPECT_NE(p["detail"].get<std::string>().find(c.says), std::string::npos) << p.dump();
        EXPECT_EQ(version(), "1.0.0");
        auto s = status();
        EXPECT_EQ(s["generation"], 1);
        EXPECT_EQ(s["state"], "serving");
        EXPECT_EQ(s["last_error"]["step"], c.step);
        EXPECT_EQ(s["counters"]["swap_failures"], ++failures);
    }
    // And a good one afterwards still swaps in, clearing the error.
    ASSERT_EQ(reload(test_plugin("swap_probe_v2")).status, 200);
    EXPECT_TRUE(status()["last_error"].is_null());
}

TEST_F(Swap, ABadFileDeployedByRenameIsReportedAndTheOldGenerationServes) {
    auto bad = files_.path() / "bad.txt";
    std::ofstream(bad) << "oops\n";
    deploy(bad, library_);
    ASSERT_TRUE(eventually([&] { return status()["last_error"].is_object(); }));
    auto s = status();
    EXPECT_EQ(s["last_error"]["step"], "elf");
    EXPECT_NE(s["last_error"]["message"].get<std::string>().find(library_.string()), std::string::npos);
    EXPECT_EQ(s["state"], "serving");
    EXPECT_EQ(version(), "1.0.0");
}

TEST_F(Swap, ReloadingTheSameContentIsANoOpThatSaysSo) {
    auto r = host_->admin("POST", "/modules/probe/reload");
    ASSERT_EQ(r.status, 200) << r.body;
    EXPECT_EQ(r.json()["result"], "unchanged");
    EXPECT_NE(r.json()["detail"].get<std::string>().find("sha256"), std::string::npos);
    EXPECT_EQ(status()["generation"], 1);
    EXPECT_EQ(status()["counters"]["unchanged"], 1);
}

TEST_F(Swap, RollbackReturnsToThePreviousGoodGeneration) {
    auto none = host_->admin("POST", "/modules/probe/rollback");
    EXPECT_EQ(none.status, 409);
    ASSERT_EQ(reload(test_plugin("swap_probe_v2")).status, 200);
    ASSERT_EQ(version(), "2.0.0");
    EXPECT_EQ(status()["previous"]["version"], "1.0.0");
    auto back = host_->admin("POST", "/modules/probe/rollback");
    ASSERT_EQ(back.status, 200) << back.body;
    EXPECT_EQ(back.json()["result"], "swapped");
    EXPECT_EQ(version(), "1.0.0");
    auto s = status();
    EXPECT_EQ(s["generation"], 3);
    EXPECT_EQ(s["counters"]["rollbacks"], 1);
    EXPECT_EQ(s["previous"]["version"], "2.0.0");
}

TEST_F(Swap, RequestsPastTheDrainDeadlineAreAnswered503AndClosed) {
    start(test_plugin("swap_probe_v1"), {}, {{"drain_timeout_ms", 200}});
    http_connection c(port());
    auto slow = std::async(std::launch::async, [&] { return c.request("GET", "/v1/slow?ms=1500"); });
    ASSERT_TRUE(eventually([&] { return status()["in_flight"] == 1; }));
    ASSERT_EQ(reload(test_plugin("swap_probe_v2")).status, 200);
    auto r = slow.get();
    EXPECT_EQ(r.status, 503);
    EXPECT_EQ(r.header("Content-Type"), "application/problem+json");
    EXPECT_FALSE(r.keep_alive);
    EXPECT_TRUE(c.closed_by_peer());
    EXPECT_EQ(status()["counters"]["cut_off"], 1);
    // The library stays until the plugin's handler really returns, then leaves.
    ASSERT_TRUE(eventually([&] { return status()["counters"]["unloaded"] == 1; }));
    EXPECT_EQ(version(), "2.0.0");
}

TEST_F(Swap, APluginThatFailedAtBootSwapsInWhenAGoodFileArrives) {
    start(files_.path() / "does-not-exist-yet.so");
    auto s = status();
    ASSERT_EQ(s["state"], "failed");
    EXPECT_EQ(s["last_error"]["step"], "elf");
    EXPECT_EQ(http_request(port(), "GET", "/healthz").status, 503);
    deploy(test_plugin("swap_probe_v2"), library_);
    ASSERT_TRUE(eventually([&] { return status()["state"] == "serving"; }));
    EXPECT_EQ(version(), "2.0.0");
    EXPECT_EQ(http_request(port(), "GET", "/healthz").status, 200);
}

TEST_F(Swap, WatchingCanBeTurnedOffPerModule) {
    start(test_plugin("swap_probe_v1"), {{"watch", false}});
    deploy(test_plugin("swap_probe_v2"), library_);
    // Nothing to wait for but time: give the watcher several debounce and poll periods.
    std::this_thread::sleep_for(std::chrono::milliseconds(600));
    EXPECT_EQ(version(), "1.0.0");
    EXPECT_EQ(status()["generation"], 1);
    ASSERT_EQ(host_->admin("POST", "/modules/probe/reload").status, 200);
    EXPECT_EQ(version(), "2.0.0");
}

TEST_F(Swap, ALibraryThatStaysMappedIsReportedRetained) {
    start(test_plugin("unique_symbols_probe"));  // built without -fno-gnu-unique: glibc never unloads it
    ASSERT_EQ(status()["state"], "serving");
    ASSERT_EQ(reload(test_plugin("swap_probe_v1")).status, 200);
    ASSERT_TRUE(eventually([&] { return status()["counters"]["retained"] == 1; }));
    auto s = status();
    ASSERT_EQ(s["retained"].size(), 1u);
    EXPECT_EQ(s["retained"][0]["number"], 1);
    EXPECT_NE(s["retained"][0]["reason"].get<std::string>().find("still loaded"), std::string::npos) << s.dump();
    EXPECT_EQ(s["counters"]["unloaded"], 0);
    EXPECT_EQ(version(), "1.0.0");
}

TEST_F(Swap, ReloadBodyIsCheckedAtTheEdge) {
    auto r = host_->admin("POST", "/modules/probe/reload", nlohmann::json({{"library", "relative.so"}, {"x", 1}}).dump());
    EXPECT_EQ(r.status, 400);
    std::set<std::string> pointers;
    auto body = r.json();
    for (auto& e : body["errors"]) pointers.insert(e["pointer"].get<std::string>());
    EXPECT_EQ(pointers, (std::set<std::string>{"/library", "/x"}));
    EXPECT_EQ(host_->admin("POST", "/modules/nope/reload").status, 404);
    EXPECT_EQ(status()["generation"], 1);
}

}  // namespace
}  // namespace berth::test
