// Hostile inputs against the issue-8 request path, admin API and berthd --check-config: each
// test is one thing an attacker or a careless operator can send, and what must come back.
#include "support/http_client.hpp"
#include "support/test_host.hpp"

#include <gtest/gtest.h>

#include <sys/stat.h>
#include <sys/wait.h>

#include <cstdio>
#include <fstream>

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
