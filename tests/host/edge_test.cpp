// The edge under hostile input: bytes that are not UTF-8, numbers out of range, deep nesting,
// Expect: 100-continue, and request ids on every answer, refusals included. Each of these once
// took the host down or answered 500.
#include "support/http_client.hpp"
#include "support/test_host.hpp"

#include <gtest/gtest.h>

namespace berth::test {
namespace {

class Edge : public ::testing::Test {
protected:
    static void SetUpTestSuite() {
        host_ = new test_host({{"probe", test_plugin("contract_probe"), {{"limits", {{"body_limit_bytes", 1 << 20}}}}}});
    }
    static void TearDownTestSuite() {
        delete host_;
        host_ = nullptr;
    }
    static std::uint16_t probe() { return host_->port("probe"); }
    // A well-formed problem: parses as JSON (so no invalid UTF-8 slipped into it), has an id.
    static nlohmann::json problem(const reply& r, int status) {
        EXPECT_EQ(r.status, status) << r.body;
        EXPECT_EQ(r.header("Content-Type"), "application/problem+json");
        EXPECT_FALSE(r.header("X-Request-Id").empty());
        auto j = nlohmann::json::parse(r.body, nullptr, false);
        EXPECT_FALSE(j.is_discarded()) << r.body;
        return j;
    }
    static reply post_items(const std::string& body) {
        return http_request(probe(), "POST", "/v1/items", body, {{"Content-Type", "application/json"}});
    }
    static test_host* host_;
};
test_host* Edge::host_ = nullptr;

TEST_F(Edge, APathThatIsNotUtf8IsA404NotACrash) {
    problem(http_request(probe(), "GET", "/%FF"), 404);
    problem(host_->admin("GET", "/%FF"), 404);
    problem(http_request(host_->admin_port(), "GET", "/%FF"), 401);  // without the token
    EXPECT_EQ(http_request(probe(), "GET", "/healthz").status, 200);
    EXPECT_EQ(http_request(host_->admin_port(), "GET", "/healthz").status, 200);
}

TEST_F(Edge, APathParameterThatIsNotUtf8ReachesThePluginAndComesBackAsJson) {
    auto r = http_request(probe(), "GET", "/v1/items/%FF");
    ASSERT_EQ(r.status, 200) << r.body;
    EXPECT_EQ(r.json()["id"], "\xEF\xBF\xBD");  // U+FFFD in place of the byte the SDK could not quote
}

TEST_F(Edge, AMalformedBodyThatIsNotUtf8IsA400InOurWords) {
    auto j = problem(post_items("{\"name\": \"\xff\xfe"), 400);
    const std::string message = j["errors"][0]["message"];
    EXPECT_EQ(message.rfind("malformed JSON at byte", 0), 0u) << message;
    EXPECT_EQ(j["errors"][0]["pointer"], "/name");
}

TEST_F(Edge, NumbersOutOfRangeAre400WithThePointer) {
    for (const std::string number : {std::string("1e400"), std::string(400, '9'), std::string("-") + std::string(400, '9')}) {
        SCOPED_TRACE(number.substr(0, 12));
        auto j = problem(post_items("{\"name\": \"lamp\", \"price_cents\": " + number + "}"), 400);
        EXPECT_EQ(j["errors"][0]["pointer"], "/price_cents");
        EXPECT_EQ(j["errors"][0]["message"], "the number is out of range");
    }
}

TEST_F(Edge, NestingDeeperThan64LevelsIsRefusedWhereItHappens) {
    std::string deep = std::string(100, '[') + std::string(100, ']');
    auto j = problem(post_items("{\"name\": \"lamp\", \"price_cents\": 1, \"tags\": " + deep + "}"), 400);
    EXPECT_EQ(j["errors"][0]["message"], "nested more than 64 levels deep");
    EXPECT_EQ(j["errors"][0]["pointer"].get<std::string>().rfind("/tags/0/0", 0), 0u) << j.dump();
}

TEST_F(Edge, DeepJsonToARouteWithoutASchemaIsRefusedBeforeThePluginWalksIt) {
    // The plugin parses this body itself (no schema); dumping a document nested 100,000 deep
    // once overflowed its stack.
    const std::string deep = std::string(100'000, '[') + std::string(100'000, ']');
    auto j = problem(http_request(probe(), "POST", "/v1/parse", deep, {{"Content-Type", "application/json"}}), 400);
    EXPECT_EQ(j["errors"][0]["message"], "nested more than 64 levels deep");
    auto fine = http_request(probe(), "POST", "/v1/parse", "[[1]]", {{"Content-Type", "application/json"}});
    EXPECT_EQ(fine.status, 200);
    EXPECT_EQ(http_request(probe(), "GET", "/healthz").status, 200);
}

TEST_F(Edge, ABodyOfTooManyValuesIsRefusedAtTheContainerHoldingThem) {
    std::string tags = "[";
    for (int i = 0; i < 100'001; ++i) tags += i ? ",0" : "0";
    auto j = problem(http_request(probe(), "POST", "/v1/items", "{\"name\": \"lamp\", \"tags\": " + tags + "]}",
                                  {{"Content-Type", "application/json"}}),
                     400);
    EXPECT_EQ(j["errors"][0]["pointer"], "/tags");
    EXPECT_EQ(j["errors"][0]["message"], "holds more values than a request body may (100000)");
}

TEST_F(Edge, RefusalsAtTheEdgeCarryARequestId) {
    const std::string big_header = "GET /v1/items/1 HTTP/1.1\r\nHost: x\r\nX-Big: " + std::string(16 * 1024, 'a') + "\r\n\r\n";
    const std::string big_body = "POST /v1/items HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 2000000\r\n\r\n" +
                                 std::string(5000, ' ');
    const std::string garbage = "GET /v1/items/1 HTTP/9.Z\r\n\r\n";
    for (auto& [bytes, status] : std::vector<std::pair<std::string, std::string>>{
             {big_header, "431"}, {big_body, "413"}, {garbage, "400"}}) {
        SCOPED_TRACE(status);
        auto answer = raw_exchange(probe(), bytes);
        EXPECT_EQ(answer.substr(0, 12), "HTTP/1.1 " + status) << answer.substr(0, 200);
        EXPECT_NE(answer.find("\r\nX-Request-Id: "), std::string::npos) << answer.substr(0, 400);
    }
}

TEST_F(Edge, AClientsPlainRequestIdIsKeptAndAnOddOneReplaced) {
    auto kept = http_request(probe(), "GET", "/v1/items/1", {}, {{"X-Request-Id", "order-42.a"}});
    EXPECT_EQ(kept.header("X-Request-Id"), "order-42.a");
    auto odd = http_request(probe(), "GET", "/v1/items/1", {}, {{"X-Request-Id", "has spaces and <tags>"}});
    EXPECT_EQ(odd.header("X-Request-Id").size(), 24u);
}

TEST_F(Edge, ExpectContinueGets100ContinueThenTheAnswer) {
    const std::string body = R"({"name": "lamp", "price_cents": 5})";
    raw_connection c(probe());
    c.send("POST /v1/items HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nExpect: 100-continue\r\n"
           "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n");
    auto interim = c.read_until("\r\n\r\n");
    ASSERT_EQ(interim.rfind("HTTP/1.1 100 Continue\r\n", 0), 0u) << interim;
    c.send(body);
    auto all = c.read_until("\"lamp\"");
    EXPECT_NE(all.find("HTTP/1.1 201 Created"), std::string::npos) << all;
}

TEST_F(Edge, ExpectContinueForABodyTooLargeIsRefusedBeforeItIsSent) {
    raw_connection c(probe());
    c.send("POST /v1/items HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nExpect: 100-continue\r\n"
           "Content-Length: 2000000\r\n\r\n");
    auto answer = c.read_until("\r\n\r\n");
    EXPECT_EQ(answer.rfind("HTTP/1.1 413", 0), 0u) << answer;
}

TEST_F(Edge, ExpectContinueToTheAdminApiWithoutTheTokenIsRefusedBeforeTheBody) {
    raw_connection c(host_->admin_port());
    c.send("POST /plugins/probe/reload HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n"
           "Expect: 100-continue\r\nContent-Length: 10\r\n\r\n");
    auto answer = c.read_until("\r\n\r\n");
    EXPECT_EQ(answer.rfind("HTTP/1.1 401", 0), 0u) << answer;
}

}  // namespace
}  // namespace berth::test
