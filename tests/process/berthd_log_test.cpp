// berthd's own host log, on the real binary as a child: the file the config names (private),
// the command line's level over the config's, and a link in the file's place stopping the start.
#include "support/file_text.hpp"
#include "support/eventually.hpp"
#include "support/file_mode.hpp"
#include "support/test_host.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

namespace berth::test {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;


// berthd itself: a config whose host log goes to a file.
json berthd_config(const fs::path& dir, const std::string& level) {
    return {{"admin", {{"port", 0}}},
            {"data_dir", (dir / "var").string()},
            {"logging", {{"level", level}, {"destination", "file"}, {"file", {{"path", (dir / "logs" / "berthd.log").string()}}}}},
            {"modules", {{"greeter", {{"library", shipped_plugin("greeter").string()}, {"port", 0}}}}}};
}

TEST(Berthd, WritesItsHostLogToTheConfiguredFileAndTheCommandLineLevelWins) {
    temp_dir dir;
    const auto config = dir.path() / "berth.json";
    std::ofstream(config) << berthd_config(dir.path(), "warn").dump();
    const auto log = dir.path() / "logs" / "berthd.log";
    const pid_t pid = ::fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
        const int null = ::open("/dev/null", O_WRONLY);
        ::dup2(null, 1);
        ::dup2(null, 2);  // the event log, on stderr by default
        ::execl(BERTHD, BERTHD, "--config", config.c_str(), "--log-level", "info", static_cast<char*>(nullptr));
        ::_exit(127);
    }
    // "admin API on ..." is an info line: the config's "warn" would have dropped it.
    const bool started = eventually([&] { return text_of(log).find("admin API on http://") != std::string::npos; },
                                    std::chrono::seconds(20));
    ::kill(pid, SIGTERM);
    int status = 0;
    ::waitpid(pid, &status, 0);
    ASSERT_TRUE(started) << text_of(log);
    EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    EXPECT_EQ(mode_of(log), 0600u);
    auto lines = lines_of(log);
    ASSERT_FALSE(lines.empty());
    for (auto& line : lines) {
        auto j = json::parse(line);
        EXPECT_EQ(j["logger"], "host") << line;
        EXPECT_TRUE(j["msg"].is_string()) << line;
    }
}

TEST(Berthd, ALinkInPlaceOfItsLogFileStopsTheStart) {
    temp_dir dir;
    const auto config = dir.path() / "berth.json";
    std::ofstream(config) << berthd_config(dir.path(), "info").dump();
    fs::create_directories(dir.path() / "logs");
    std::ofstream(dir.path() / "elsewhere") << "";
    fs::create_symlink(dir.path() / "elsewhere", dir.path() / "logs" / "berthd.log");
    FILE* p = ::popen(("timeout 20 " + std::string(BERTHD) + " --config '" + config.string() + "' 2>&1").c_str(), "r");
    ASSERT_NE(p, nullptr);
    std::string out;
    char buf[512];
    while (std::fgets(buf, sizeof buf, p)) out += buf;
    const int status = ::pclose(p);
    EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 2) << out;
    EXPECT_NE(out.find("cannot open the log file"), std::string::npos) << out;
    EXPECT_EQ(out.find("ready"), std::string::npos) << out;
}

}  // namespace
}  // namespace berth::test
