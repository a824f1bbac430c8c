// Files are private: everything the host (and a module through the SDK) creates under the data
// directory is 0600, every directory 0700; keys that others can read stop berthd; shadow copies
// are trusted by their content, never by their name.
#include "support/file_mode.hpp"
#include "support/http_client.hpp"
#include "support/test_host.hpp"

#include <gtest/gtest.h>

#include <sys/stat.h>
#include <sys/wait.h>

#include <cstdio>
#include <fstream>
#include <set>
#include <sstream>

namespace berth::test {
namespace {

namespace fs = std::filesystem;

std::string sha256_of(const fs::path& p) {
    std::string out;
    FILE* pipe = ::popen(("sha256sum '" + p.string() + "'").c_str(), "r");
    char buf[65] = {};
    if (pipe && std::fread(buf, 1, 64, pipe) == 64) out.assign(buf, 64);
    if (pipe) ::pclose(pipe);
    return out;
}

TEST(Files, EverythingUnderTheDataDirectoryIsPrivate) {
    test_host host({{"ledger", test_plugin("ledger_v1")}, {"greeter", shipped_plugin("greeter")}});
    ASSERT_EQ(http_request(host.port("ledger"), "POST", "/v1/entries", R"({"text": "one"})",
                           {{"Content-Type", "application/json"}})
                  .status,
              201);
    // A migration makes a backup; the admin call writes the audit log.
    auto r = host.admin("POST", "/modules/ledger/reload",
                        nlohmann::json({{"library", test_plugin("ledger_v2").string()}}).dump());
    ASSERT_EQ(r.status, 200) << r.body;
    std::size_t files = 0;
    std::set<std::string> seen;
    EXPECT_EQ(mode_of(host.data_dir()), 0700u);
    for (auto& e : fs::recursive_directory_iterator(host.data_dir())) {
        SCOPED_TRACE(e.path().string());
        if (e.is_directory()) {
            EXPECT_EQ(mode_of(e.path()), 0700u);
        } else {
            ++files;
            EXPECT_EQ(mode_of(e.path()), 0600u);
            seen.insert(e.path().extension().string() + ":" + e.path().parent_path().filename().string());
        }
    }
    // Keys, the token, the audit log, databases with their WAL, a backup and shadow copies.
    for (auto& expected : {std::string(".key:") + host.data_dir().filename().string(),
                           std::string(".token:") + host.data_dir().filename().string(),
                           std::string(".log:") + host.data_dir().filename().string(),
                           std::string(".db:") + host.data_dir().filename().string(),
                           std::string(".db-wal:") + host.data_dir().filename().string(), std::string(".db:backups"),
                           std::string(".so:shadow")})
        EXPECT_TRUE(seen.count(expected)) << expected;
    EXPECT_GE(files, 8u);
}

TEST(Files, AShadowCopyThatDoesNotHoldItsContentIsRewritten) {
    temp_dir dir;
    const auto library = shipped_plugin("greeter");
    fs::create_directories(dir.path() / "shadow");
    const auto shadow = dir.path() / "shadow" / ("greeter-" + sha256_of(library) + ".so");
    std::ofstream(shadow, std::ios::binary) << "truncated by a crash";
    nlohmann::json cfg = {{"admin", {{"port", 0}}},
                          {"data_dir", dir.path().string()},
                          {"modules", {{"greeter", {{"library", library.string()}, {"port", 0}}}}}};
    auto parsed = berth::host::parse_config(cfg.dump(), dir.path());
    ASSERT_TRUE(parsed.value);
    berth::host::runtime rt(*parsed.value);
    rt.start();
    ASSERT_EQ(rt.modules().at(0).state, berth::host::module_state::serving);
    EXPECT_EQ(http_request(*rt.module_port("greeter"), "GET", "/v1/greetings/Ann").status, 200);
    EXPECT_EQ(sha256_of(shadow), sha256_of(library));
    EXPECT_EQ(mode_of(shadow), 0600u);
    rt.stop();
}

// Runs berthd with a config whose token key is readable by others; returns its exit code and
// what it printed.
std::pair<int, std::string> berthd_with_key_mode(mode_t mode) {
    temp_dir dir;
    const auto key = dir.path() / "token.key";
    std::ofstream(key) << std::string(64, 'a') << "\n";
    ::chmod(key.c_str(), mode);
    nlohmann::json cfg = {{"admin", {{"port", 0}}},
                          {"data_dir", (dir.path() / "var").string()},
                          {"auth", {{"secret_file", key.string()}}},
                          {"modules", {{"greeter", {{"library", shipped_plugin("greeter").string()}, {"port", 0}}}}}};
    std::ofstream(dir.path() / "berth.json") << cfg.dump();
    const std::string cmd = std::string(BERTHD) + " --config '" + (dir.path() / "berth.json").string() + "' 2>&1";
    FILE* pipe = ::popen(("timeout 20 " + cmd).c_str(), "r");
    std::string out;
    char buf[4096];
    while (pipe && !std::feof(pipe)) {
        auto n = std::fread(buf, 1, sizeof buf, pipe);
        out.append(buf, n);
        if (out.find("ready") != std::string::npos) break;  // it started (a regression): `timeout` ends it
    }
    int status = pipe ? ::pclose(pipe) : -1;
    return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, out};
}

TEST(Files, BerthdRefusesAKeyThatOthersCanRead) {
    auto [code, out] = berthd_with_key_mode(0644);
    EXPECT_EQ(code, 2) << out;
    EXPECT_NE(out.find("chmod 600"), std::string::npos) << out;
}

}  // namespace
}  // namespace berth::test
