// The request pipeline as a client meets it: host-answered routes behave like declared ones,
// and what the stages refuse, they refuse before the plugin runs.
#include "pipeline/route_contract.hpp"

#include "support/http_client.hpp"
#include "support/test_host.hpp"

#include <gtest/gtest.h>

namespace berth::test {
namespace {

class Pipeline : public ::testing::Test {
protected:
    test_host host_{{{"probe", test_plugin("contract_probe")}}};
    std::uint16_t port() { return host_.port("probe"); }
};

TEST_F(Pipeline, HeadOnHealthzAnswersLikeGetWithoutABody) {
    // Raw bytes: a client parser told "this was HEAD" skips any body, so it could not see one.
    // A HEAD answer with a body would put those bytes where the next answer must start.
    const auto get = http_request(port(), "GET", "/healthz");
    ASSERT_EQ(get.status, 200);
    auto out = raw_exchange(port(), "HEAD /healthz HTTP/1.1\r\nHost: x\r\n\r\n"
                                    "GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
    ASSERT_EQ(out.rfind("HTTP/1.1 200", 0), 0u) << out;
    const auto head_end = out.find("\r\n\r\n");
    ASSERT_NE(head_end, std::string::npos) << out;
    const auto head = out.substr(0, head_end);
    EXPECT_NE(head.find("Content-Length: " + std::to_string(get.body.size())), std::string::npos) << head;
    EXPECT_NE(head.find("Content-Type: application/json"), std::string::npos) << head;
    EXPECT_EQ(out.substr(head_end + 4, 12), "HTTP/1.1 200") << "a body after the HEAD answer: " << out;
}

TEST_F(Pipeline, OtherMethodsOnHealthzGet405WithAllow) {
    for (std::string method : {"POST", "DELETE", "PUT"}) {
        SCOPED_TRACE(method);
        auto r = http_request(port(), method, "/healthz", "{}", {{"Content-Type", "application/json"}});
        EXPECT_EQ(r.status, 405);
        EXPECT_EQ(r.header("Allow"), "GET, HEAD");
        EXPECT_EQ(r.header("Content-Type"), "application/problem+json");
    }
}

TEST_F(Pipeline, A405OnHealthzComesBeforeTheBodyIsSent) {
    raw_connection c(port());
    c.send("POST /healthz HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 2\r\n"
           "Expect: 100-continue\r\n\r\n");
    auto head = c.read_until("\r\n\r\n");
    EXPECT_NE(head.find("HTTP/1.1 405"), std::string::npos) << head;
    EXPECT_EQ(head.find("100 Continue"), std::string::npos) << head;
}

TEST_F(Pipeline, ATargetThatIsNotAValidUriGets400) {
    // A raw space cannot reach here (it ends the request target); a raw non-ASCII byte can.
    raw_connection c(port());
    c.send("GET /v1/items/\xC3\xA9 HTTP/1.1\r\nHost: x\r\n\r\n");
    auto answer = c.read_until("\r\n\r\n");
    EXPECT_NE(answer.find("HTTP/1.1 400"), std::string::npos) << answer;
}

TEST_F(Pipeline, AHeaderAPluginSetsWithALineBreakCannotSplitTheResponse) {
    EXPECT_EQ(http_request(port(), "GET", "/v1/moved/plain").header("X-Moved-To"), "plain");
    raw_connection c(port());
    c.send("GET /v1/moved/x%0D%0AX-Injected:%20yes HTTP/1.1\r\nHost: x\r\n\r\n");
    auto answer = c.read_until("\r\n\r\n");
    EXPECT_NE(answer.find("HTTP/1.1 500"), std::string::npos) << answer;
    EXPECT_EQ(answer.find("X-Injected"), std::string::npos) << answer;
}

TEST_F(Pipeline, ARequestAStageRefusesNeverReachesThePlugin) {
    // POST /v1/tally declares no body, so the body stage refuses one before the handler, which
    // counts every request it runs.
    auto refused = http_request(port(), "POST", "/v1/tally", "[]", {{"Content-Type", "application/json"}});
    EXPECT_EQ(refused.status, 400) << refused.body;
    EXPECT_EQ(http_request(port(), "GET", "/v1/tally").json()["tally"], 0);
    // The count does move for a request the stages pass.
    ASSERT_EQ(http_request(port(), "POST", "/v1/tally", "").status, 200);
    EXPECT_EQ(http_request(port(), "GET", "/v1/tally").json()["tally"], 1);
}

// A public port says what is wrong with a target in its own words, not Boost.URL's
// ("mismatch", "leftover"): library text stays out of public answers.
TEST_F(Pipeline, A400ForABadTargetCarriesNoParserLibraryText) {
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
TEST_F(Pipeline, HealthzWithAnEmptyOrAnyQueryIsStillTheHostRoute) {
    EXPECT_EQ(http_request(port(), "HEAD", "/healthz?").status, 200);
    auto r = http_request(port(), "POST", "/healthz?x=1", "{}", {{"Content-Type", "application/json"}});
    EXPECT_EQ(r.status, 405);
    EXPECT_EQ(r.header("Allow"), "GET, HEAD");
}

TEST(RouteContract, APluginMayNotDeclareAPathTheHostAnswers) {
    auto compiled = berth::host::pipeline::compile_routes(
        nlohmann::json{{"routes", {{{"method", "GET"}, {"path", "/healthz"}}}}});
    ASSERT_TRUE(std::holds_alternative<std::string>(compiled));
    EXPECT_NE(std::get<std::string>(compiled).find("/healthz"), std::string::npos) << std::get<std::string>(compiled);
}

TEST(RouteContract, AManifestWithoutRoutesIsRefused) {
    for (auto manifest : {nlohmann::json::array(), nlohmann::json{{"routes", 1}}, nlohmann::json{{"name", "x"}}}) {
        SCOPED_TRACE(manifest.dump());
        EXPECT_TRUE(std::holds_alternative<std::string>(berth::host::pipeline::compile_routes(manifest)));
    }
}

}  // namespace
}  // namespace berth::test
