// Hostile inputs against the issue-8 request path, admin API and berthd --check-config: each
// test is one thing an attacker or a careless operator can send, and what must come back.
#include "support/http_client.hpp"
#include "support/test_host.hpp"

#include <gtest/gtest.h>

#include <sys/stat.h>
#include <sys/wait.h>

#include <cstdio>
#include <fstream>
#include <thread>

namespace berth::test {
namespace {

namespace fs = std::filesystem;

class ReviewAttack : public ::testing::Test {
protected:
    test_host host_{{{"probe", test_plugin("contract_probe")}}};
    std::uint16_t port() { return host_.port("probe"); }
};

// The deprecated /plugins routes build their Link header from the decoded request path: an
// encoded CR LF in the module name must not become a header line of the answer.
TEST_F(ReviewAttack, AnEncodedCrlfOnADeprecatedRouteDoesNotSplitTheAnswersHeaders) {
    raw_connection c(host_.admin_port());
    c.send("GET /plugins/x%0D%0AX-Injected:%20yes HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer " +
           host_.admin_token() + "\r\nConnection: close\r\n\r\n");
    auto head = c.read_until("\r\n\r\n");
    ASSERT_NE(head.find("HTTP/1.1 "), std::string::npos) << head;
    EXPECT_EQ(head.find("\r\nX-Injected: yes"), std::string::npos) << head;
}

// Same defect, no CR LF needed: a '>' or ',' decoded into the URI reference breaks the Link
// header's syntax (RFC 8288), so a client reads another successor than /modules/<name>.
TEST_F(ReviewAttack, TheDeprecatedRoutesLinkHeaderKeepsItsUriReferenceIntact) {
    auto r = host_.admin("GET", "/plugins/x%3E%3B%20rel=%22evil%22%2C%3Chttp:%2F%2Fevil.example%2F");
    EXPECT_EQ(r.status, 404);
    EXPECT_EQ(r.header("Link").find("evil.example/>"), std::string::npos) << r.header("Link");
}

// The old names still sit behind the admin gate.
TEST_F(ReviewAttack, DeprecatedRoutesStillNeedTheAdminToken) {
    auto r = http_request(host_.admin_port(), "GET", "/plugins", {}, {{"Host", "localhost"}});
    EXPECT_EQ(r.status, 401);
    EXPECT_TRUE(r.header("Link").empty()) << r.header("Link");
}

// A public port says what is wrong with a target in its own words, not Boost.URL's
// ("mismatch", "leftover"): library text stays out of public answers.
TEST_F(ReviewAttack, A400ForABadTargetCarriesNoParserLibraryText) {
    for (std::string target : {"/v1/items/%zz", "/v1/search?q={}"}) {
        SCOPED_TRACE(target);
        auto r = http_request(port(), "GET", target);
        EXPECT_EQ(r.status, 400);
        const std::string detail = r.json().value("detail", "");
        EXPECT_EQ(detail.find("mismatch"), std::string::npos) << detail;
        EXPECT_EQ(detail.find("leftover"), std::string::npos) << detail;
    }
}

// An empty query or one with a query string is still the host's /healthz, with HEAD and 405.
TEST_F(ReviewAttack, HealthzWithAnEmptyOrAnyQueryIsStillTheHostRoute) {
    EXPECT_EQ(http_request(port(), "HEAD", "/healthz?").status, 200);
    auto r = http_request(port(), "POST", "/healthz?x=1", "{}", {{"Content-Type", "application/json"}});
    EXPECT_EQ(r.status, 405);
    EXPECT_EQ(r.header("Allow"), "GET, HEAD");
}

// Rollback and roll-forward under the order an operator (or two) may really use.
class ReviewAttackRollback : public ::testing::Test {
protected:
    void SetUp() override {
        library_ = files_.path() / "probe.so";
        fs::copy_file(test_plugin("swap_probe_v1"), library_);
        host_ = std::make_unique<test_host>(
            std::vector<plugin_spec>{{"probe", library_}},
            nlohmann::json{{"deploy", {{"allowed_dirs", {files_.path().string(), test_plugin("x").parent_path().string()}}}}});
    }
    std::string version() { return http_request(host_->port("probe"), "GET", "/v1/version").json()["version"]; }
    reply reload(const fs::path& library) {
        return host_->admin("POST", "/modules/probe/reload", nlohmann::json({{"library", library.string()}}).dump());
    }
    reply rollback() { return host_->admin("POST", "/modules/probe/rollback", "{}"); }

    temp_dir files_;
    fs::path library_;
    std::unique_ptr<test_host> host_;
};

// A normal reload after a rollback starts a new history: the next rollback is a rollback
// (to the generation the reload replaced), not a roll-forward.
TEST_F(ReviewAttackRollback, ARollbackAfterAReloadThatFollowedARollbackIsNotARollForward) {
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
TEST_F(ReviewAttackRollback, TwoRollbacksAtOnceAreARollbackAndARollForward) {
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

// berthd as a process, its output and exit code.
int run_berthd(const std::string& args, std::string* output) {
    std::string cmd = std::string(BERTHD) + " " + args + " 2>&1";
    FILE* p = popen(cmd.c_str(), "r");
    char buf[512];
    while (p && fgets(buf, sizeof buf, p)) *output += buf;
    int status = p ? pclose(p) : -1;
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

// A library berthd would refuse at start (writable by group and others) is not "valid".
TEST(ReviewAttackCheckConfig, ALibraryTheLoaderRefusesIsNotValid) {
    temp_dir dir;
    const auto library = dir.path() / "greeter.so";
    fs::copy_file(shipped_plugin("greeter"), library);
    ASSERT_EQ(::chmod(library.c_str(), 0666), 0);
    const auto file = dir.path() / "berth.json";
    std::ofstream(file) << nlohmann::json{{"data_dir", (dir.path() / "var").string()},
                                          {"modules", {{"greeter", {{"library", library.string()}, {"port", 0}}}}}};
    std::string out;
    EXPECT_EQ(run_berthd("--check-config '" + file.string() + "'", &out), 2) << out;
    EXPECT_EQ(out.find(": valid"), std::string::npos) << out;
}

// A config still written with "plugins": the file check points into the file as written, as
// the schema errors of the same file do.
TEST(ReviewAttackCheckConfig, ALegacyConfigsFileErrorPointsAtTheKeyItWrote) {
    temp_dir dir;
    const auto file = dir.path() / "berth.json";
    std::ofstream(file) << nlohmann::json{
        {"data_dir", (dir.path() / "var").string()},
        {"plugins", {{"greeter", {{"library", (dir.path() / "nowhere.so").string()}, {"port", 0}}}}}};
    std::string out;
    EXPECT_EQ(run_berthd("--check-config '" + file.string() + "'", &out), 2) << out;
    EXPECT_NE(out.find("/plugins/greeter/library: cannot read"), std::string::npos) << out;
}

}  // namespace
}  // namespace berth::test
