// The host's logs as an operator reads them: JSON lines, private files rotated by size, levels;
// the access log's line per request; the event log and GET /events for swaps, refusals and
// admin calls.
#include "support/file_text.hpp"
#include "support/file_mode.hpp"
#include "support/host_log.hpp"
#include "support/http_client.hpp"
#include "support/test_host.hpp"

#include "ops/logging.hpp"

#include <gtest/gtest.h>
#include <spdlog/spdlog.h>

#include <sys/stat.h>

#include <fstream>
#include <sstream>

namespace berth::test {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;


TEST(Logging, EveryHostLogLineIsAJsonObjectWithTimeLevelLoggerAndMessage) {
    temp_dir dir;
    const auto file = dir.path() / "berthd.log";
    {
        host_log log(file, "info");
        spdlog::info("a plain line");
        spdlog::warn("quotes \" and a newline \n and a byte that is not UTF-8: \xff");
    }
    auto lines = lines_of(file);
    ASSERT_EQ(lines.size(), 2u) << text_of(file);
    for (auto& line : lines) {
        auto j = json::parse(line);
        EXPECT_TRUE(j["time"].is_string()) << line;
        EXPECT_EQ(j["time"].get<std::string>().size(), std::string("2026-11-28T12:00:00.123Z").size()) << line;
        EXPECT_EQ(j["logger"], "host") << line;
        EXPECT_TRUE(j["msg"].is_string()) << line;
    }
    EXPECT_EQ(json::parse(lines[0])["level"], "info");
    EXPECT_EQ(json::parse(lines[0])["msg"], "a plain line");
    EXPECT_EQ(json::parse(lines[1])["level"], "warn");
    EXPECT_EQ(json::parse(lines[1])["msg"].get<std::string>().rfind("quotes \" and a newline \n and", 0), 0u);
}

TEST(Logging, TheLevelDropsWhatIsBelowItAndTheCommandLineWins) {
    temp_dir dir;
    {
        host_log log(dir.path() / "warn.log", "warn");
        spdlog::info("not written");
        spdlog::error("written");
    }
    auto lines = lines_of(dir.path() / "warn.log");
    ASSERT_EQ(lines.size(), 1u);
    EXPECT_EQ(json::parse(lines[0])["msg"], "written");
    {
        host_log log(dir.path() / "debug.log", "warn", "debug");  // berthd --log-level debug
        spdlog::debug("written at debug");
    }
    EXPECT_EQ(lines_of(dir.path() / "debug.log").size(), 1u);
}

TEST(Logging, TheFileIsCreatedPrivateUnderAWideUmask) {
    temp_dir dir;
    const auto old = ::umask(022);
    berth::host::log_file_config f;
    f.path = dir.path() / "logs" / "nested" / "berthd.log";
    berth::host::ops::make_sink("file", f);
    ::umask(old);
    EXPECT_EQ(mode_of(f.path), 0600u);
    EXPECT_EQ(mode_of(f.path.parent_path()), 0700u);
}

TEST(Logging, AnExistingReadableFileIsMadePrivate) {
    temp_dir dir;
    berth::host::log_file_config f;
    f.path = dir.path() / "berthd.log";
    std::ofstream(f.path) << "an old line\n";
    ::chmod(f.path.c_str(), 0644);
    berth::host::ops::make_sink("file", f);
    EXPECT_EQ(mode_of(f.path), 0600u);
    EXPECT_EQ(text_of(f.path), "an old line\n");  // appended to, not truncated
}

TEST(Logging, ALinkInPlaceOfTheFileIsRefused) {
    temp_dir dir;
    std::ofstream(dir.path() / "elsewhere") << "";
    fs::create_symlink(dir.path() / "elsewhere", dir.path() / "berthd.log");
    berth::host::log_file_config f;
    f.path = dir.path() / "berthd.log";
    EXPECT_ANY_THROW(berth::host::ops::make_sink("file", f));
}

TEST(Logging, FilesRotateBySizeAndKeepMaxFilesEachPrivate) {
    temp_dir dir;
    berth::host::log_file_config f;
    f.path = dir.path() / "r.log";
    f.max_bytes = 4096;
    f.max_files = 2;
    {
        spdlog::logger logger("rotation", berth::host::ops::make_sink("file", f));
        logger.set_formatter(berth::host::ops::make_formatter("json"));
        for (int i = 0; i < 200; ++i) logger.info("line {} {}", i, std::string(60, 'x'));
    }
    ASSERT_TRUE(fs::exists(dir.path() / "r.log"));
    ASSERT_TRUE(fs::exists(dir.path() / "r.1.log"));
    ASSERT_TRUE(fs::exists(dir.path() / "r.2.log"));
    EXPECT_FALSE(fs::exists(dir.path() / "r.3.log"));
    for (auto name : {"r.log", "r.1.log", "r.2.log"}) {
        EXPECT_LE(fs::file_size(dir.path() / name), 4096u) << name;
        EXPECT_EQ(mode_of(dir.path() / name), 0600u) << name;
        for (auto& line : lines_of(dir.path() / name)) EXPECT_NO_THROW((void)json::parse(line)) << line;
    }
    // The newest lines are in the current file.
    EXPECT_NE(text_of(dir.path() / "r.log").find("line 199 "), std::string::npos);
}

// A host whose access and event logs go to files.
class Logs : public ::testing::Test {
protected:
    void SetUp() override {
        library_ = files_.path() / "items.so";
        fs::copy_file(test_plugin("contract_versions_base"), library_);
        json top = {{"logging",
                     {{"access", {{"enabled", true}, {"destination", "file"}}},
                      {"events", {{"enabled", true}, {"destination", "file"}}}}},
                    {"deploy", {{"allowed_dirs", {files_.path().string(), test_plugin("x").parent_path().string()}}}}};
        host_ = std::make_unique<test_host>(std::vector<plugin_spec>{{"items", library_}}, top);
    }
    fs::path logs() const { return host_->data_dir() / "logs"; }
    reply reload(const std::string& variant) {
        return host_->admin("POST", "/modules/items/reload",
                            json{{"library", test_plugin("contract_versions_" + variant).string()}}.dump());
    }
    // Every event GET /events has, paging through it.
    std::vector<json> events() {
        std::vector<json> out;
        std::uint64_t after = 0;
        for (int pages = 0; pages < 100; ++pages) {
            auto r = host_->admin("GET", "/events?after=" + std::to_string(after) + "&limit=1000");
            EXPECT_EQ(r.status, 200) << r.body;
            auto page = r.json();
            if (page["events"].empty()) break;
            for (auto& e : page["events"]) out.push_back(e);
            after = page["next"];
        }
        return out;
    }
    std::vector<json> events_of(const std::string& kind) {
        std::vector<json> out;
        for (auto& e : events())
            if (e["kind"] == kind) out.push_back(e);
        return out;
    }
    // The event log file's lines, once the host has stopped (every line written).
    std::vector<json> logged(const std::string& name) {
        host_->runtime().stop();
        std::vector<json> out;
        for (auto& line : lines_of(logs() / name)) out.push_back(json::parse(line));
        return out;
    }

    temp_dir files_;
    fs::path library_;
    std::unique_ptr<test_host> host_;
};

TEST_F(Logs, TheAccessLogHasALinePerRequestWithItsRouteTemplateNotItsPath) {
    auto r = http_request(host_->port("items"), "GET", "/v1/items/7", {}, {{"X-Request-Id", "access-line-probe"}});
    ASSERT_EQ(r.status, 200) << r.body;
    const auto raw_path = "/v1/items/7";
    std::vector<json> mine;
    for (auto& line : logged("access.log"))
        if (line.value("request_id", "") == "access-line-probe") mine.push_back(line);
    ASSERT_EQ(mine.size(), 1u);
    auto& a = mine[0];
    EXPECT_EQ(a["logger"], "access");
    EXPECT_EQ(a["module"], "items");
    EXPECT_EQ(a["method"], "GET");
    EXPECT_EQ(a["route"], "/v1/items/{id}");
    EXPECT_EQ(a["status"], 200);
    EXPECT_EQ(a["generation"], 1);
    EXPECT_EQ(a["major"], 1);
    EXPECT_EQ(a["bytes_in"], 0);
    EXPECT_EQ(a["bytes_out"], r.body.size());
    EXPECT_EQ(a["peer"], "127.0.0.1");
    EXPECT_GE(a["duration_ms"].get<double>(), 0.0);
    EXPECT_TRUE(a["time"].is_string());
    EXPECT_EQ(text_of(logs() / "access.log").find(raw_path), std::string::npos);
    EXPECT_EQ(mode_of(logs() / "access.log"), 0600u);
    EXPECT_EQ(mode_of(logs() / "events.log"), 0600u);
}

TEST_F(Logs, AnUnmatchedRequestIsLoggedAsUnmatched) {
    EXPECT_EQ(http_request(host_->port("items"), "GET", "/v1/nothing/here", {}, {{"X-Request-Id", "unmatched-probe"}}).status, 404);
    std::vector<json> mine;
    for (auto& line : logged("access.log"))
        if (line.value("request_id", "") == "unmatched-probe") mine.push_back(line);
    ASSERT_EQ(mine.size(), 1u);
    EXPECT_EQ(mine[0]["route"], "unmatched");
    EXPECT_EQ(mine[0]["status"], 404);
}

TEST_F(Logs, BootIsALoadEventThenAStartEvent) {
    auto all = events();
    ASSERT_GE(all.size(), 2u);
    EXPECT_EQ(all[0]["kind"], "load");
    EXPECT_EQ(all[0]["module"], "items");
    EXPECT_EQ(all[0]["fields"]["outcome"], "swapped");
    EXPECT_EQ(all[0]["fields"]["trigger"], "boot");
    EXPECT_EQ(all[0]["fields"]["to_generation"], 1);
    EXPECT_EQ(all[1]["kind"], "start");
}

TEST_F(Logs, ASwapIsAnEventWithItsGenerationsAndVersion) {
    ASSERT_EQ(reload("additive_fields").status, 200);
    auto swaps = events_of("swap");
    ASSERT_EQ(swaps.size(), 1u);
    auto& f = swaps[0]["fields"];
    EXPECT_EQ(swaps[0]["module"], "items");
    EXPECT_EQ(f["outcome"], "swapped");
    EXPECT_EQ(f["trigger"], "admin API");
    EXPECT_EQ(f["from_generation"], 1);
    EXPECT_EQ(f["to_generation"], 2);
    EXPECT_EQ(f["version"], "1.10.0-additive_fields");
    // The same event in the event log file, with the same sequence number.
    const auto seq = swaps[0]["seq"];
    bool found = false;
    for (auto& line : logged("events.log"))
        if (line["seq"] == seq) {
            found = true;
            EXPECT_EQ(line["logger"], "event");
            EXPECT_EQ(line["kind"], "swap");
            EXPECT_EQ(line["fields"]["to_generation"], 2);
        }
    EXPECT_TRUE(found);
}

TEST_F(Logs, ARefusedSwapIsAnEventThatSaysWhy) {
    ASSERT_EQ(reload("removed").status, 422);
    auto swaps = events_of("swap");
    ASSERT_EQ(swaps.size(), 1u);
    auto& f = swaps[0]["fields"];
    EXPECT_EQ(f["outcome"], "refused");
    EXPECT_EQ(f["step"], "contract");
    EXPECT_EQ(f["reason"], "breaking_change");
    EXPECT_EQ(f["breaking_changes"], 1);
    EXPECT_EQ(f["from_generation"], 1);
    EXPECT_FALSE(f.contains("to_generation"));
    bool warned = false;
    for (auto& line : logged("events.log")) warned |= line["kind"] == "swap" && line["level"] == "warn";
    EXPECT_TRUE(warned);
}

TEST_F(Logs, AnAdminCallIsAnEventWithMethodPathAndStatusButNoSecret) {
    auto r = host_->admin("POST", "/tokens?x=1", json{{"subject", "ops"}, {"scope", "catalog:write"}}.dump());
    ASSERT_EQ(r.status, 201) << r.body;
    auto calls = events_of("admin_call");
    ASSERT_EQ(calls.size(), 1u);
    EXPECT_EQ(calls[0]["fields"]["method"], "POST");
    EXPECT_EQ(calls[0]["fields"]["path"], "/tokens");
    EXPECT_EQ(calls[0]["fields"]["status"], 201);
    const auto admin_token = host_->admin_token();
    const auto minted = r.json()["token"].get<std::string>();
    logged("events.log");
    const auto text = text_of(logs() / "events.log");
    EXPECT_NE(text.find("admin_call"), std::string::npos);
    EXPECT_EQ(text.find(admin_token), std::string::npos);
    EXPECT_EQ(text.find(minted), std::string::npos);
    EXPECT_EQ(text.find("catalog:write"), std::string::npos);  // the body stays out
}

TEST_F(Logs, ReadsAreNotAdminCallEvents) {
    ASSERT_EQ(host_->admin("GET", "/modules").status, 200);
    EXPECT_TRUE(events_of("admin_call").empty());
}

TEST_F(Logs, EventsPageInSequenceFromAfter) {
    ASSERT_EQ(reload("additive_fields").status, 200);
    ASSERT_EQ(reload("removed").status, 422);  // a refusal is an event too
    auto all = events();
    ASSERT_GE(all.size(), 4u);
    std::uint64_t after = 0;
    std::vector<std::uint64_t> paged;
    for (int i = 0; i < 100; ++i) {
        auto page = host_->admin("GET", "/events?after=" + std::to_string(after) + "&limit=1").json();
        if (page["events"].empty()) {
            EXPECT_EQ(page["next"], after);  // nothing new: next stays where it was
            break;
        }
        ASSERT_EQ(page["events"].size(), 1u);
        EXPECT_EQ(page["next"], page["events"][0]["seq"]);
        paged.push_back(page["events"][0]["seq"]);
        after = page["next"];
    }
    // Drains and unloads may have come since `all` was read: it is a prefix of what was paged.
    ASSERT_GE(paged.size(), all.size());
    for (std::size_t i = 0; i < all.size(); ++i) EXPECT_EQ(paged[i], all[i]["seq"].get<std::uint64_t>());
    for (std::size_t i = 1; i < paged.size(); ++i) EXPECT_EQ(paged[i], paged[i - 1] + 1);
}

TEST_F(Logs, EventsRefuseABadQuery) {
    for (std::string q : {"limit=0", "limit=1001", "after=-1", "after=abc", "limit=1&limit=2", "colour=red"}) {
        auto r = host_->admin("GET", "/events?" + q);
        EXPECT_EQ(r.status, 400) << q << ": " << r.body;
        EXPECT_EQ(r.header("Content-Type"), "application/problem+json") << q;
    }
}

TEST_F(Logs, EventsNeedTheAdminToken) {
    auto r = http_request(host_->admin_port(), "GET", "/events");
    EXPECT_EQ(r.status, 401);
    EXPECT_EQ(http_request(host_->admin_port(), "GET", "/events", {}, {{"Authorization", "Bearer not-the-token"}}).status, 401);
}

}  // namespace
}  // namespace berth::test
