// Majors side by side: a build that drops a major leaves it on the generation serving it;
// clients of that major see no failure until an operator retires it; then they get a 404
// that lists the majors served. Built on tests/plugins/versioned.cpp (1.x: /v1, 2.x: /v2).
#include "support/eventually.hpp"
#include "support/http_client.hpp"
#include "support/version_load.hpp"
#include "support/process_maps.hpp"
#include "support/test_host.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <fstream>
#include <future>
#include <map>
#include <mutex>
#include <set>
#include <thread>

namespace berth::test {
namespace {

namespace fs = std::filesystem;

class Majors : public ::testing::Test {
protected:
    // By default long enough that a held request is never cut off by the drain deadline.
    void SetUp() override { start(20000); }
    void start(int drain_timeout_ms) {
        host_.reset();
        library_ = files_.path() / "api.so";
        fs::copy_file(test_plugin("versioned_1_0"), library_, fs::copy_options::overwrite_existing);
        host_ = std::make_unique<test_host>(
            std::vector<plugin_spec>{{"api", library_}, {"client", test_plugin("versioned_2_0")}},
            nlohmann::json{{"drain_timeout_ms", drain_timeout_ms},
                           {"deploy", {{"allowed_dirs", {files_.path().string(), test_plugin("x").parent_path().string()}}}}});
    }
    std::uint16_t port() { return host_->port("api"); }
    nlohmann::json status() { return host_->admin("GET", "/modules/api").json(); }
    reply get(const std::string& target) { return http_request(port(), "GET", target); }
    std::string version(int major) { return get("/v" + std::to_string(major) + "/version").json()["version"]; }
    reply reload(const std::string& build) {
        return host_->admin("POST", "/modules/api/reload",
                            nlohmann::json({{"library", test_plugin(build).string()}}).dump());
    }
    reply retire(const std::string& query) { return host_->admin("POST", "/modules/api/retire" + query); }

    temp_dir files_;
    fs::path library_;
    std::unique_ptr<test_host> host_;
};

TEST_F(Majors, ASwapThatDropsAMajorLeavesItOnTheGenerationServingIt) {
    auto r = reload("versioned_2_0");
    ASSERT_EQ(r.status, 200) << r.body;
    EXPECT_NE(r.json()["detail"].get<std::string>().find("generation 1 keeps serving v1"), std::string::npos) << r.body;
    EXPECT_EQ(version(1), "1.0.0");
    EXPECT_EQ(version(2), "2.0.0");
    auto s = status();
    EXPECT_EQ(s["majors"], nlohmann::json({{"1", 1}, {"2", 2}}));
    EXPECT_EQ(s["generation"], 2);
    EXPECT_EQ(s["active"]["serves_majors"], nlohmann::json({2}));
    ASSERT_EQ(s["older"].size(), 1u);
    EXPECT_EQ(s["older"][0]["number"], 1);
    EXPECT_EQ(s["older"][0]["version"], "1.0.0");
    EXPECT_EQ(s["older"][0]["serves_majors"], nlohmann::json({1}));
    EXPECT_TRUE(s["draining"].empty()) << s.dump();
}

TEST_F(Majors, TheGateComparesEachMajorWithTheGenerationServingItNotTheActiveOne) {
    ASSERT_EQ(reload("versioned_1_1").status, 200);  // v1 gains GET /v1/notes
    ASSERT_EQ(reload("versioned_2_0").status, 200);  // active now serves only v2; 1.1 keeps v1
    // 1.0 lacks /v1/notes: breaking for the v1 clients of generation 2 (1.1), whatever the
    // active generation (3.0 of v2) declares.
    auto r = reload("versioned_1_0");
    ASSERT_EQ(r.status, 422) << r.body;
    EXPECT_EQ(r.json()["errors"][0]["kind"], "operation_removed");
    EXPECT_EQ(r.json()["errors"][0]["path"], "/v1/notes");
    EXPECT_EQ(get("/v1/notes").status, 200);
    EXPECT_EQ(version(2), "2.0.0");
}

TEST_F(Majors, ThePublishedDocumentsDescribeEveryMajorServedUntilItIsRetired) {
    ASSERT_EQ(reload("versioned_2_0").status, 200);
    auto paths = [&](const reply& r) {
        std::vector<std::string> out;
        const auto doc = r.json();
        for (auto& [path, _] : doc["paths"].items()) out.push_back(path);
        return out;
    };
    auto doc = get("/openapi.json");
    ASSERT_EQ(doc.status, 200);
    auto served = paths(doc);
    EXPECT_NE(std::find(served.begin(), served.end(), "/v1/version"), served.end()) << doc.body;
    EXPECT_NE(std::find(served.begin(), served.end(), "/v2/version"), served.end()) << doc.body;
    EXPECT_NE(host_->admin("GET", "/openapi.json").body.find("/v1/version"), std::string::npos);

    ASSERT_EQ(retire("?major=1").status, 200);
    served = paths(get("/openapi.json"));
    EXPECT_EQ(std::find(served.begin(), served.end(), "/v1/version"), served.end());
    EXPECT_NE(std::find(served.begin(), served.end(), "/v2/version"), served.end());
}

TEST_F(Majors, TheTypedSnapshotShowsTheServingMap) {
    ASSERT_EQ(reload("versioned_2_0").status, 200);
    auto modules = host_->runtime().modules();
    auto api = std::find_if(modules.begin(), modules.end(), [](auto& m) { return m.name == "api"; });
    ASSERT_NE(api, modules.end());
    EXPECT_EQ(api->majors, (std::map<int, std::uint64_t>{{1, 1}, {2, 2}}));
    ASSERT_TRUE(api->active);
    EXPECT_EQ(api->active->serves_majors, std::vector<int>{2});
    ASSERT_EQ(api->older.size(), 1u);
    EXPECT_EQ(api->older[0].serves_majors, std::vector<int>{1});
}

TEST_F(Majors, ClientsOfTheOldMajorSeeNoFailureThroughSwapsUntilItIsRetired) {
    version_load clients(port(), "/v1/version", 4);
    ASSERT_TRUE(eventually([&] { return clients.requests() > 200; }));
    ASSERT_EQ(reload("versioned_2_0").status, 200);
    auto after_swap = clients.requests();
    ASSERT_TRUE(eventually([&] { return clients.requests() > after_swap + 200; }));
    ASSERT_EQ(reload("versioned_2_1").status, 200);  // a later swap of the new line
    auto after_second = clients.requests();
    ASSERT_TRUE(eventually([&] { return clients.requests() > after_second + 200; }));
    clients.finish();
    EXPECT_EQ(clients.failures(), 0);
    EXPECT_EQ(clients.versions(), std::set<std::string>{"1.0.0"});

    auto r = retire("?major=1");
    ASSERT_EQ(r.status, 200) << r.body;
    auto gone = get("/v1/version");
    EXPECT_EQ(gone.status, 404);
    EXPECT_EQ(gone.header("Content-Type"), "application/problem+json");
    EXPECT_EQ(gone.json()["majors"], nlohmann::json({2}));
    EXPECT_EQ(gone.json()["detail"], "this module serves major v2");
    EXPECT_EQ(version(2), "2.1.0");
}

TEST_F(Majors, AnAdditiveSwapWithinAMajorTakesItOver) {
    ASSERT_EQ(reload("versioned_1_1").status, 200);
    EXPECT_EQ(version(1), "1.1.0");
    EXPECT_EQ(get("/v1/notes").status, 200);
    auto s = status();
    EXPECT_EQ(s["majors"], nlohmann::json({{"1", 2}}));
    EXPECT_TRUE(s["older"].empty());
    ASSERT_TRUE(eventually([&] { return status()["counters"]["unloaded"] == 1; }));
}

TEST_F(Majors, ALaterSwapKeepsBothLinesInStep) {
    ASSERT_EQ(reload("versioned_2_0").status, 200);  // generation 2: v2; v1 stays on 1
    ASSERT_EQ(reload("versioned_2_1").status, 200);  // generation 3 takes v2; 2 drains
    EXPECT_EQ(status()["majors"], nlohmann::json({{"1", 1}, {"2", 3}}));
    EXPECT_EQ(version(1), "1.0.0");
    EXPECT_EQ(version(2), "2.1.0");
    EXPECT_EQ(get("/v2/notes").status, 200);
    ASSERT_TRUE(eventually([&] { return status()["counters"]["unloaded"] == 1; }));

    ASSERT_EQ(reload("versioned_1_1").status, 200);  // generation 4 takes v1; 1 drains; v2 stays on 3
    auto s = status();
    EXPECT_EQ(s["majors"], nlohmann::json({{"1", 4}, {"2", 3}}));
    EXPECT_EQ(s["generation"], 4);
    ASSERT_EQ(s["older"].size(), 1u);
    EXPECT_EQ(s["older"][0]["number"], 3);
    EXPECT_EQ(version(1), "1.1.0");
    EXPECT_EQ(version(2), "2.1.0");
    ASSERT_TRUE(eventually([&] { return status()["counters"]["unloaded"] == 2; }));
}

TEST_F(Majors, RetireDrainsTheOldGenerationAndARequestInFlightThereFinishes) {
    ASSERT_EQ(reload("versioned_2_0").status, 200);
    const auto old_shadow = host_->data_dir() / "shadow" / ("api-" + status()["older"][0]["sha256"].get<std::string>() + ".so");
    ASSERT_TRUE(is_mapped(old_shadow));
    auto held = std::async(std::launch::async, [this] { return get("/v1/hold"); });
    ASSERT_TRUE(eventually([&] { return status()["older"][0]["in_flight"] == 1; }));

    auto r = retire("?major=1");
    ASSERT_EQ(r.status, 200) << r.body;
    EXPECT_EQ(r.json()["generation"], 1);
    EXPECT_EQ(r.json()["drains"], true);
    EXPECT_EQ(get("/v1/version").status, 404);
    auto s = status();
    EXPECT_EQ(s["majors"], nlohmann::json({{"2", 2}}));
    EXPECT_TRUE(s["older"].empty());
    ASSERT_EQ(s["draining"].size(), 1u);
    EXPECT_EQ(s["draining"][0]["number"], 1);
    EXPECT_EQ(s["draining"][0]["in_flight"], 1);
    EXPECT_EQ(s["counters"]["retires"], 1);

    std::ofstream(host_->data_dir() / "versioned.release") << "go\n";
    auto answer = held.get();
    ASSERT_EQ(answer.status, 200) << answer.body;
    EXPECT_EQ(answer.json()["version"], "1.0.0");
    EXPECT_EQ(answer.json()["released"], true);
    ASSERT_TRUE(eventually([&] { return status()["counters"]["unloaded"] == 1; }));
    EXPECT_FALSE(is_mapped(old_shadow));
    EXPECT_EQ(version(2), "2.0.0");
}

TEST_F(Majors, ARequestOnARetiredMajorPastTheDrainDeadlineIsAnswered503AndClosed) {
    start(200);
    ASSERT_EQ(reload("versioned_2_0").status, 200);
    http_connection c(port());
    auto held = std::async(std::launch::async, [&] { return c.request("GET", "/v1/hold"); });
    ASSERT_TRUE(eventually([&] { return status()["older"][0]["in_flight"] == 1; }));
    ASSERT_EQ(retire("?major=1").status, 200);
    auto r = held.get();
    EXPECT_EQ(r.status, 503);
    EXPECT_FALSE(r.keep_alive);
    EXPECT_TRUE(c.closed_by_peer());
    EXPECT_EQ(status()["counters"]["cut_off"], 1);
    // The library leaves once the handler really returns.
    std::ofstream(host_->data_dir() / "versioned.release") << "go\n";
    ASSERT_TRUE(eventually([&] { return status()["counters"]["unloaded"] == 1; }));
    EXPECT_EQ(version(2), "2.0.0");
}

TEST_F(Majors, AMajorNoGenerationServesGets404ListingTheMajorsServed) {
    ASSERT_EQ(reload("versioned_2_0").status, 200);
    for (std::string target : {"/v3/version", "/version", "/v1", "/v01/version", "/v1?x=/y"}) {
        SCOPED_TRACE(target);
        auto r = get(target);
        EXPECT_EQ(r.status, 404);
        EXPECT_EQ(r.header("Content-Type"), "application/problem+json");
        EXPECT_EQ(r.json()["majors"], nlohmann::json({1, 2}));
        EXPECT_EQ(r.json()["detail"], "this module serves majors v1, v2");
    }
    // A first segment written with escapes is the major it decodes to, as the routes see it.
    EXPECT_EQ(get("/v%31/version").json()["version"], "1.0.0");
    EXPECT_EQ(get("/%762/version").json()["version"], "2.0.0");
}

TEST_F(Majors, AnUnservedMajorIsRefusedBeforeTheBodyIsSent) {
    raw_connection c(port());
    c.send("POST /v2/version HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 2\r\n"
           "Expect: 100-continue\r\n\r\n");
    auto head = c.read_until("\r\n\r\n");
    EXPECT_NE(head.find("HTTP/1.1 404"), std::string::npos) << head;
    EXPECT_EQ(head.find("100 Continue"), std::string::npos) << head;
}

TEST_F(Majors, AnInProcessCallGoesToTheGenerationServingItsMajor) {
    ASSERT_EQ(reload("versioned_2_0").status, 200);
    auto relay = [&](const std::string& path) {
        return http_request(host_->port("client"), "GET", "/v2/relay?to=api&path=" + path).json();
    };
    EXPECT_EQ(relay("/v1/version")["body"]["version"], "1.0.0");
    EXPECT_EQ(relay("/v2/version")["body"]["version"], "2.0.0");
    auto missing = relay("/v7/version");
    EXPECT_EQ(missing["status"], 404);
    EXPECT_EQ(missing["body"]["majors"], nlohmann::json({1, 2}));
}

TEST_F(Majors, RetireRefusesTheActiveGenerationsMajorsAndMajorsNoneServes) {
    ASSERT_EQ(reload("versioned_2_0").status, 200);
    auto active = retire("?major=2");
    EXPECT_EQ(active.status, 409) << active.body;
    EXPECT_EQ(active.header("Content-Type"), "application/problem+json");
    auto none = retire("?major=3");
    EXPECT_EQ(none.status, 404) << none.body;
    EXPECT_NE(none.json()["detail"].get<std::string>().find("it serves v1, v2"), std::string::npos) << none.body;
    for (std::string bad : {"", "?major=", "?major=0", "?major=01", "?major=x", "?major=10000", "?major=1&major=2"}) {
        SCOPED_TRACE(bad);
        auto r = retire(bad);
        EXPECT_EQ(r.status, 400) << r.body;
        EXPECT_EQ(r.json()["errors"][0]["pointer"], "/major");
    }
    EXPECT_EQ(host_->admin("POST", "/modules/nope/retire?major=1").status, 404);
    auto s = status();
    EXPECT_EQ(s["majors"], nlohmann::json({{"1", 1}, {"2", 2}}));
    EXPECT_EQ(s["counters"]["retires"], 0);
}

TEST_F(Majors, RetireIsAuditedAndAnsweredUnderItsOldNameToo) {
    ASSERT_EQ(reload("versioned_2_0").status, 200);
    auto r = host_->admin("POST", "/plugins/api/retire?major=1");
    ASSERT_EQ(r.status, 200) << r.body;
    EXPECT_EQ(r.json()["plugin"]["majors"], nlohmann::json({{"2", 2}}));
    EXPECT_FALSE(r.header("Deprecation").empty());
    EXPECT_EQ(r.header("Link"), "</modules/api/retire>; rel=\"successor-version\"");
    std::ifstream audit(host_->data_dir() / "audit.log");
    std::string line, found;
    while (std::getline(audit, line))
        if (line.find("retire") != std::string::npos) found = line;
    ASSERT_FALSE(found.empty());
    auto entry = nlohmann::json::parse(found);
    EXPECT_EQ(entry["call"], "POST /plugins/api/retire?major=1");
    EXPECT_EQ(entry["status"], 200);
    EXPECT_NE(entry["detail"].get<std::string>().find("v1 is no longer served"), std::string::npos) << found;
}

TEST_F(Majors, ARollbackAcrossMajorsRestoresTheOldBuildAndLeavesTheNewMajorToRetire) {
    ASSERT_EQ(reload("versioned_2_0").status, 200);
    auto back = host_->admin("POST", "/modules/api/rollback", "{}");
    ASSERT_EQ(back.status, 200) << back.body;  // generation 3: the 1.0 build, takes v1; 1 drains
    auto s = status();
    EXPECT_EQ(s["generation"], 3);
    EXPECT_EQ(s["majors"], nlohmann::json({{"1", 3}, {"2", 2}}));
    EXPECT_EQ(version(1), "1.0.0");
    EXPECT_EQ(version(2), "2.0.0");
    // v2 is no longer the active generation's: the operator can finish the rollback.
    ASSERT_EQ(retire("?major=2").status, 200);
    EXPECT_EQ(get("/v2/version").json()["majors"], nlohmann::json({1}));
    ASSERT_TRUE(eventually([&] { return status()["counters"]["unloaded"] == 2; }));
}

TEST_F(Majors, StopUnloadsEveryServingGeneration) {
    ASSERT_EQ(reload("versioned_2_0").status, 200);
    const auto shadows = host_->data_dir() / "shadow";
    auto mapped = mapped_in(shadows, "api-");
    ASSERT_EQ(mapped.size(), 2u);
    auto results = host_->runtime().stop();
    int api = 0;
    for (auto& r : results) {
        if (r.name != "api") continue;
        ++api;
        EXPECT_TRUE(r.unloaded) << r.detail;
    }
    EXPECT_EQ(api, 2);
    for (auto& p : mapped) EXPECT_FALSE(is_mapped(p)) << p;
}

}  // namespace
}  // namespace berth::test
