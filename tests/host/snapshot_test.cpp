// What operators see of a module (GET /modules/{name}, runtime::modules(), the start banner)
// tells the truth: which file serves, what a rollback returns to, and which way it goes.
#include "support/http_client.hpp"
#include "support/test_host.hpp"

#include <boost/asio/ip/tcp.hpp>
#include <gtest/gtest.h>

#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fstream>
#include <thread>

namespace berth::test {
namespace {

namespace fs = std::filesystem;

class Snapshot : public ::testing::Test {
protected:
    void SetUp() override {
        // The configured library is a deployed copy of v1; the builds to swap to stay where the
        // build put them (an allowed directory too).
        library_ = files_.path() / "probe.so";
        fs::copy_file(test_plugin("swap_probe_v1"), library_);
        host_ = std::make_unique<test_host>(
            std::vector<plugin_spec>{{"probe", library_}},
            nlohmann::json{{"deploy", {{"allowed_dirs", {files_.path().string(), test_plugin("x").parent_path().string()}}}}});
    }
    nlohmann::json status() { return host_->admin("GET", "/modules/probe").json(); }
    std::string version() { return http_request(host_->port("probe"), "GET", "/v1/version").json()["version"]; }
    reply reload(const fs::path& library) {
        return host_->admin("POST", "/modules/probe/reload", nlohmann::json({{"library", library.string()}}).dump());
    }
    reply rollback() { return host_->admin("POST", "/modules/probe/rollback", "{}"); }

    temp_dir files_;
    fs::path library_;
    std::unique_ptr<test_host> host_;
};

TEST_F(Snapshot, AOneOffReloadShowsTheFileThatServesNotTheConfiguredOne) {
    const auto v2 = test_plugin("swap_probe_v2");
    ASSERT_EQ(reload(v2).status, 200);
    auto s = status();
    EXPECT_EQ(s["library"], v2.string());
    EXPECT_EQ(s["active"]["source"], v2.string());
    EXPECT_EQ(s["configured_library"], library_.string());
}

TEST_F(Snapshot, PreviousNamesTheGenerationARollbackReturnsTo) {
    ASSERT_EQ(reload(test_plugin("swap_probe_v2")).status, 200);
    auto previous = status()["previous"];
    EXPECT_EQ(previous["number"], 1);
    EXPECT_EQ(previous["version"], "1.0.0");
    EXPECT_EQ(previous["source"], library_.string());
    EXPECT_EQ(previous["sha256"].get<std::string>().size(), 64u);
}

TEST_F(Snapshot, ASecondRollbackIsARollForwardAndSaysSo) {
    ASSERT_EQ(reload(test_plugin("swap_probe_v2")).status, 200);  // generation 2

    auto back = rollback();  // generation 3: the build of generation 1
    ASSERT_EQ(back.status, 200) << back.body;
    EXPECT_EQ(back.json()["module"]["generation"], 3);
    EXPECT_EQ(back.json()["restores"], 1);
    EXPECT_EQ(back.json()["roll_forward"], false);
    EXPECT_NE(back.json()["detail"].get<std::string>().find("rollback to the build of generation 1"), std::string::npos)
        << back.body;
    EXPECT_EQ(version(), "1.0.0");
    EXPECT_EQ(status()["active"]["restores"], 1);

    auto forward = rollback();  // generation 4: the build of generation 2 again
    ASSERT_EQ(forward.status, 200) << forward.body;
    EXPECT_EQ(forward.json()["restores"], 2);
    EXPECT_EQ(forward.json()["roll_forward"], true);
    EXPECT_NE(forward.json()["detail"].get<std::string>().find("roll-forward"), std::string::npos) << forward.body;
    EXPECT_EQ(version(), "2.0.0");
    auto s = status();
    EXPECT_EQ(s["generation"], 4);
    EXPECT_EQ(s["counters"]["rollbacks"], 2);
}

TEST_F(Snapshot, TheOldPluginsRoutesStillAnswerAndPointToTheirSuccessors) {
    auto old = host_->admin("GET", "/plugins/probe");
    ASSERT_EQ(old.status, 200) << old.body;
    EXPECT_EQ(old.json()["name"], "probe");
    EXPECT_EQ(old.header("Deprecation"), "@1795824000");  // RFC 9745: since 2026-11-28
    EXPECT_EQ(old.header("Link"), "</modules/probe>; rel=\"successor-version\"");
    auto swapped = host_->admin("POST", "/plugins/probe/reload",
                                nlohmann::json({{"library", test_plugin("swap_probe_v2").string()}}).dump());
    ASSERT_EQ(swapped.status, 200) << swapped.body;
    EXPECT_EQ(swapped.json()["plugin"]["version"], "2.0.0");  // the old shape
    EXPECT_TRUE(host_->admin("GET", "/modules/probe").header("Deprecation").empty());
}

// The deprecated /plugins routes build their Link header from the decoded request path: an
// encoded CR LF in the module name must not become a header line of the answer.
TEST_F(Snapshot, AnEncodedCrlfOnADeprecatedRouteDoesNotSplitTheAnswersHeaders) {
    raw_connection c(host_->admin_port());
    c.send("GET /plugins/x%0D%0AX-Injected:%20yes HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer " +
           host_->admin_token() + "\r\nConnection: close\r\n\r\n");
    auto head = c.read_until("\r\n\r\n");
    ASSERT_NE(head.find("HTTP/1.1 "), std::string::npos) << head;
    EXPECT_EQ(head.find("\r\nX-Injected: yes"), std::string::npos) << head;
}

// Same defect, no CR LF needed: a '>' or ',' decoded into the URI reference breaks the Link
// header's syntax (RFC 8288), so a client reads another successor than /modules/<name>.
TEST_F(Snapshot, TheDeprecatedRoutesLinkHeaderKeepsItsUriReferenceIntact) {
    auto r = host_->admin("GET", "/plugins/x%3E%3B%20rel=%22evil%22%2C%3Chttp:%2F%2Fevil.example%2F");
    EXPECT_EQ(r.status, 404);
    EXPECT_EQ(r.header("Link").find("evil.example/>"), std::string::npos) << r.header("Link");
}

// The old names still sit behind the admin gate.
TEST_F(Snapshot, DeprecatedRoutesStillNeedTheAdminToken) {
    auto r = http_request(host_->admin_port(), "GET", "/plugins", {}, {{"Host", "localhost"}});
    EXPECT_EQ(r.status, 401);
    EXPECT_TRUE(r.header("Link").empty()) << r.header("Link");
}

// A normal reload after a rollback starts a new history: the next rollback is a rollback
// (to the generation the reload replaced), not a roll-forward.
TEST_F(Snapshot, ARollbackAfterAReloadThatFollowedARollbackIsNotARollForward) {
    ASSERT_EQ(reload(test_plugin("swap_probe_v2")).status, 200);  // 2: v2
    ASSERT_EQ(rollback().status, 200);                             // 3: v1, restores 1
    ASSERT_EQ(reload(test_plugin("swap_probe_v2")).status, 200);  // 4: v2, a plain reload
    auto r = rollback();                                           // 5: v1, restores 3
    ASSERT_EQ(r.status, 200) << r.body;
    EXPECT_EQ(r.json()["restores"], 3);
    EXPECT_EQ(r.json()["roll_forward"], false);
    EXPECT_EQ(version(), "1.0.0");
}

// Two operators press rollback at once: the calls run one after the other, and the answers
// say what each did (one rollback, one roll-forward) rather than two "rollbacks".
TEST_F(Snapshot, TwoRollbacksAtOnceAreARollbackAndARollForward) {
    ASSERT_EQ(reload(test_plugin("swap_probe_v2")).status, 200);
    reply a, b;
    std::thread ta([&] { a = rollback(); });
    std::thread tb([&] { b = rollback(); });
    ta.join();
    tb.join();
    ASSERT_EQ(a.status, 200) << a.body;
    ASSERT_EQ(b.status, 200) << b.body;
    EXPECT_NE(a.json()["roll_forward"], b.json()["roll_forward"]) << a.body << "\n" << b.body;
    EXPECT_EQ(version(), "2.0.0");
}

TEST_F(Snapshot, RuntimeModulesIsTheSameSnapshotTyped) {
    auto modules = host_->runtime().modules();
    ASSERT_EQ(modules.size(), 1u);
    const auto& m = modules[0];
    EXPECT_EQ(m.name, "probe");
    EXPECT_EQ(m.state, berth::host::module_state::serving);
    EXPECT_TRUE(m.bound);
    EXPECT_EQ(m.port, host_->port("probe"));
    ASSERT_TRUE(m.active);
    EXPECT_EQ(m.active->version, "1.0.0");
    EXPECT_EQ(m.active->source, library_);
    EXPECT_FALSE(m.previous);
    // The admin API renders this same snapshot.
    auto json = status();
    EXPECT_EQ(json["active"]["sha256"], m.active->sha256);
    EXPECT_EQ(json["active"]["number"], m.active->number);
    EXPECT_EQ(json["port"], m.port);
    EXPECT_EQ(json["state"], to_string(m.state));
}

// Runs berthd until its start banner is complete; returns what it printed.
std::string berthd_banner(const fs::path& config) {
    int out[2];
    if (::pipe(out) != 0) return {};
    const pid_t pid = ::fork();
    if (pid == 0) {
        ::dup2(out[1], 1);
        ::dup2(out[1], 2);
        ::close(out[0]);
        ::execl(BERTHD, BERTHD, "--config", config.c_str(), static_cast<char*>(nullptr));
        ::_exit(127);
    }
    ::close(out[1]);
    std::string text;
    char buf[4096];
    // The banner ends with the module lines, after "ready"; a dead child or 20 s without a
    // byte ends the read too (the test then fails on what arrived, rather than hanging).
    while (text.find("ready") == std::string::npos || text.find("greeter ") == std::string::npos) {
        pollfd p{out[0], POLLIN, 0};
        if (::poll(&p, 1, 20'000) <= 0) break;
        auto n = ::read(out[0], buf, sizeof buf);
        if (n <= 0) break;
        text.append(buf, static_cast<std::size_t>(n));
    }
    ::kill(pid, SIGTERM);
    ::waitpid(pid, nullptr, 0);
    ::close(out[0]);
    return text;
}

TEST(Banner, AModuleThatCouldNotBindShowsItsConfiguredPort) {
    boost::asio::io_context io;
    boost::asio::ip::tcp::acceptor taken(io, {boost::asio::ip::make_address("127.0.0.1"), 0});
    const auto port = taken.local_endpoint().port();
    temp_dir dir;
    nlohmann::json cfg = {
        {"admin", {{"port", 0}}},
        {"data_dir", (dir.path() / "var").string()},
        {"modules", {{"greeter", {{"library", shipped_plugin("greeter").string()}, {"port", port}}}}}};
    std::ofstream(dir.path() / "berth.json") << cfg.dump();
    auto banner = berthd_banner(dir.path() / "berth.json");
    EXPECT_NE(banner.find(":" + std::to_string(port) + "  failed"), std::string::npos) << banner;
    EXPECT_EQ(banner.find(":0 "), std::string::npos) << banner;
}

}  // namespace
}  // namespace berth::test
