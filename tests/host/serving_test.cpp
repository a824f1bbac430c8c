// Serving: what a client of any plugin port sees, over real HTTP against a real host.
#include "support/http_client.hpp"
#include "support/test_host.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <thread>

namespace berth::test {
namespace {

class Serving : public ::testing::Test {
protected:
    static void SetUpTestSuite() {
        host_ = new test_host({{"probe",
                                test_plugin("contract_probe"),
                                {{"limits", {{"body_limit_bytes", 1024}, {"handler_timeout_ms", 1500}}}}},
                               {"greeter", shipped_plugin("greeter"), {{"settings", {{"salutation", "Ahoy"}}}}}});
    }
    static void TearDownTestSuite() {
        delete host_;
        host_ = nullptr;
    }
    static std::uint16_t probe() { return host_->port("probe"); }
    static void expect_problem(const reply& r, int status) {
        EXPECT_EQ(r.status, status) << r.body;
        EXPECT_EQ(r.header("Content-Type"), "application/problem+json");
        auto j = r.json();
        EXPECT_EQ(j["status"], status);
        EXPECT_TRUE(j["title"].is_string());
        EXPECT_EQ(j["type"], "about:blank");
    }
    static test_host* host_;
};
test_host* Serving::host_ = nullptr;

TEST_F(Serving, HealthzNamesTheModuleAndThePluginAndVersionServingIt) {
    auto r = http_request(probe(), "GET", "/healthz");
    ASSERT_EQ(r.status, 200);
    EXPECT_EQ(r.json(),
              (nlohmann::json{{"status", "ok"}, {"module", "probe"}, {"plugin", "contract_probe"}, {"version", "2.3.4"}}));
    EXPECT_EQ(http_request(host_->port("greeter"), "GET", "/healthz").json()["version"], "1.0.0");
}

TEST_F(Serving, PathParametersAreDecodedAndPassed) {
    auto r = http_request(probe(), "GET", "/v1/items/a%20b");
    ASSERT_EQ(r.status, 200);
    EXPECT_EQ(r.json()["id"], "a b");
    auto two = http_request(probe(), "GET", "/v1/shelves/s1/items/42");
    EXPECT_EQ(two.json(), (nlohmann::json{{"shelf", "s1"}, {"id", "42"}}));
}

TEST_F(Serving, LiteralSegmentsWinOverParameters) {
    EXPECT_EQ(http_request(probe(), "GET", "/v1/items/special").json()["route"], "special");
    EXPECT_EQ(http_request(probe(), "GET", "/v1/items/ordinary").json()["route"], "item");
}

TEST_F(Serving, PluginSettingsReachThePlugin) {
    auto r = http_request(host_->port("greeter"), "GET", "/v1/greetings/Ann");
    ASSERT_EQ(r.status, 200);
    EXPECT_EQ(r.json()["greeting"], "Ahoy, Ann!");
}

TEST_F(Serving, UnknownRouteIs404Problem) {
    auto r = http_request(probe(), "GET", "/v1/nothing/here");
    expect_problem(r, 404);
    EXPECT_NE(r.json()["detail"].get<std::string>().find("/v1/nothing/here"), std::string::npos);
}

TEST_F(Serving, WrongMethodIs405WithAllow) {
    auto r = http_request(probe(), "PUT", "/v1/items/7");
    expect_problem(r, 405);
    EXPECT_EQ(r.header("Allow"), "GET, DELETE");
}

TEST_F(Serving, SchemaViolationsAre400WithPointers) {
    auto r = post_json(probe(), "/v1/items", {{"name", ""}, {"price_cents", -5}, {"tags", {"ok", 3}}, {"extra", 1}});
    expect_problem(r, 400);
    auto errors = r.json()["errors"];
    ASSERT_TRUE(errors.is_array());
    std::set<std::string> pointers;
    for (auto& e : errors) {
        EXPECT_EQ(e["in"], "body");
        EXPECT_FALSE(e["message"].get<std::string>().empty());
        pointers.insert(e["pointer"].get<std::string>());
    }
    EXPECT_EQ(pointers, (std::set<std::string>{"/name", "/price_cents", "/tags/1", "/extra"}));
    EXPECT_EQ(errors.size(), 4u) << errors.dump();
}

TEST_F(Serving, MissingRequiredPropertyNamesIt) {
    auto r = post_json(probe(), "/v1/items", {{"name", "lamp"}});
    expect_problem(r, 400);
    auto e = r.json()["errors"];
    ASSERT_EQ(e.size(), 1u);
    EXPECT_EQ(e[0]["pointer"], "");
    EXPECT_NE(e[0]["message"].get<std::string>().find("price_cents"), std::string::npos);
}

TEST_F(Serving, ValidBodyReachesTheHandler) {
    auto r = post_json(probe(), "/v1/items", {{"name", "lamp"}, {"price_cents", 1999}});
    ASSERT_EQ(r.status, 201) << r.body;
    EXPECT_EQ(r.json()["created"]["price_cents"], 1999);
}

TEST_F(Serving, MalformedJsonIs400) {
    auto r = http_request(probe(), "POST", "/v1/items", "{\"name\": ", {{"Content-Type", "application/json"}});
    expect_problem(r, 400);
    // Where the parser stopped, in our words: never the parser library's text.
    EXPECT_EQ(r.json()["errors"][0]["pointer"], "/name");
    const std::string message = r.json()["errors"][0]["message"];
    EXPECT_EQ(message.rfind("malformed JSON at byte 9", 0), 0u) << message;
    EXPECT_EQ(r.body.find("json.exception"), std::string::npos) << r.body;
}

TEST_F(Serving, MalformedJsonWithoutSchemaIs400FromTheSdk) {
    auto r = http_request(probe(), "POST", "/v1/parse", "[1,", {{"Content-Type", "application/json"}});
    expect_problem(r, 400);
    EXPECT_EQ(http_request(probe(), "POST", "/v1/parse", "[1]").json()["parsed"], nlohmann::json::array({1}));
}

TEST_F(Serving, NonJsonContentTypeIs415) {
    auto r = http_request(probe(), "POST", "/v1/items", "name=x", {{"Content-Type", "application/x-www-form-urlencoded"}});
    expect_problem(r, 415);
}

TEST_F(Serving, QueryParametersAreTypedAndChecked) {
    auto ok = http_request(probe(), "GET", "/v1/search?q=red+lamp&limit=5");
    ASSERT_EQ(ok.status, 200) << ok.body;
    EXPECT_EQ(ok.json()["q"], "red lamp");

    auto bad = http_request(probe(), "GET", "/v1/search?limit=500&colour=red");
    expect_problem(bad, 400);
    std::set<std::string> pointers;
    auto body = bad.json();
    for (auto& e : body["errors"]) {
        EXPECT_EQ(e["in"], "query");
        pointers.insert(e["pointer"].get<std::string>());
    }
    EXPECT_EQ(pointers, (std::set<std::string>{"", "/limit", "/colour"}));  // "" : q is missing
    EXPECT_EQ(body["errors"].size(), 3u) << body.dump();

    expect_problem(http_request(probe(), "GET", "/v1/search?q=x&limit=ten"), 400);
}

TEST_F(Serving, BadPercentEncodingIs400) { expect_problem(http_request(probe(), "GET", "/v1/items/%zz"), 400); }

TEST_F(Serving, HandlerExceptionIs500AndTheHostKeepsServing) {
    auto r = http_request(probe(), "GET", "/v1/boom");
    expect_problem(r, 500);
    EXPECT_EQ(r.body.find("exploded"), std::string::npos) << "internal messages stay in the log";
    EXPECT_NE(r.json()["detail"].get<std::string>().find(r.header("X-Request-Id")), std::string::npos);
    EXPECT_EQ(http_request(probe(), "GET", "/healthz").status, 200);
    EXPECT_EQ(http_request(probe(), "GET", "/v1/items/1").status, 200);
}

TEST_F(Serving, HttpErrorFromHandlerKeepsItsStatus) {
    auto r = http_request(probe(), "GET", "/v1/teapot");
    expect_problem(r, 418);
    EXPECT_EQ(r.json()["detail"], "short and stout");
}

TEST_F(Serving, BodyOverTheLimitIs413) {
    auto r = http_request(probe(), "POST", "/v1/echo", std::string(4096, 'x'));
    expect_problem(r, 413);
    EXPECT_FALSE(r.keep_alive);
    EXPECT_EQ(http_request(probe(), "POST", "/v1/echo", std::string(1000, 'y')).body, std::string(1000, 'y'));
}

TEST_F(Serving, HeaderOverTheDefault8KiBLimitIs431) {
    auto r = http_request(probe(), "GET", "/v1/items/1", {}, {{"X-Big", std::string(9000, 'h')}});
    expect_problem(r, 431);
    EXPECT_EQ(http_request(probe(), "GET", "/v1/items/1", {}, {{"X-Fine", std::string(6000, 'h')}}).status, 200);
}

TEST_F(Serving, GarbageRequestIs400) {
    auto out = raw_exchange(probe(), "NOT HTTP AT ALL\r\n\r\n");
    EXPECT_EQ(out.rfind("HTTP/1.1 400", 0), 0u) << out;
    EXPECT_NE(out.find("application/problem+json"), std::string::npos);
}

TEST_F(Serving, KeepAliveServesManyRequestsOnOneConnection) {
    http_connection c(probe());
    for (int i = 0; i < 20; ++i) {
        auto r = c.request("GET", "/v1/items/" + std::to_string(i));
        ASSERT_EQ(r.status, 200);
        EXPECT_EQ(r.json()["id"], std::to_string(i));
        EXPECT_TRUE(r.keep_alive);
    }
}

TEST_F(Serving, PipelinedRequestsAreAnsweredInOrder) {
    std::string batch;
    for (int i = 0; i < 5; ++i) batch += "GET /v1/items/p" + std::to_string(i) + " HTTP/1.1\r\nHost: x\r\n\r\n";
    batch += "GET /v1/items/last HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n";
    auto out = raw_exchange(probe(), batch);
    std::size_t pos = 0;
    for (std::string id : {"p0", "p1", "p2", "p3", "p4", "last"}) {
        auto at = out.find("\"id\":\"" + id + "\"", pos);
        ASSERT_NE(at, std::string::npos) << "missing or out of order: " << id << "\n" << out;
        pos = at;
    }
}

TEST_F(Serving, RequestIdIsEchoedOrGenerated) {
    auto given = http_request(probe(), "POST", "/v1/echo", "x", {{"X-Request-Id", "abc-123"}});
    EXPECT_EQ(given.header("X-Request-Id"), "abc-123");
    EXPECT_EQ(given.header("X-Echo-Request-Id"), "abc-123");
    auto made = http_request(probe(), "POST", "/v1/echo", "x");
    EXPECT_EQ(made.header("X-Request-Id").size(), 24u);
    EXPECT_EQ(made.header("X-Request-Id"), made.header("X-Echo-Request-Id"));
}

TEST_F(Serving, InProcessCallsCarryTheCallerAndTheRequestId) {
    auto r = http_request(probe(), "GET", "/v1/relay", {}, {{"X-Request-Id", "rid-42"}});
    ASSERT_EQ(r.status, 200) << r.body;
    EXPECT_EQ(r.json()["status"], 200);
    EXPECT_EQ(r.json()["answer"], (nlohmann::json{{"caller", "probe"}, {"request_id", "rid-42"}}));
    auto direct = http_request(probe(), "GET", "/v1/whoami");
    expect_problem(direct, 403);
    EXPECT_NE(direct.json()["detail"].get<std::string>().find("probe"), std::string::npos);
}

TEST_F(Serving, HeadAnswersHeadersOnlyAndKeepsTheConnectionInStep) {
    auto out = raw_exchange(probe(), "HEAD /v1/items/7 HTTP/1.1\r\nHost: x\r\n\r\n"
                                     "GET /v1/items/8 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
    ASSERT_EQ(out.rfind("HTTP/1.1 200", 0), 0u) << out;
    auto first_end = out.find("\r\n\r\n");
    ASSERT_NE(first_end, std::string::npos);
    EXPECT_NE(out.substr(0, first_end).find("Content-Length: "), std::string::npos);
    EXPECT_EQ(out.substr(first_end + 4, 12), "HTTP/1.1 200") << "no body after the HEAD answer";
    EXPECT_NE(out.find("\"id\":\"8\""), std::string::npos);
    EXPECT_EQ(out.find("\"id\":\"7\""), std::string::npos);
}

TEST_F(Serving, StatusesWithoutABodyOrOutOfRangeAreMadeSafe) {
    auto no_content = http_request(probe(), "GET", "/v1/odd?status=204");
    EXPECT_EQ(no_content.status, 204);
    EXPECT_TRUE(no_content.body.empty());
    expect_problem(http_request(probe(), "GET", "/v1/odd?status=101"), 500);
    expect_problem(http_request(probe(), "GET", "/v1/odd?status=99"), 500);
    EXPECT_EQ(http_request(probe(), "GET", "/healthz").status, 200);
}

TEST_F(Serving, AnHttp10ClientIsAnsweredInHttp10) {
    auto out = raw_exchange(probe(), "GET /healthz HTTP/1.0\r\n\r\n");
    EXPECT_EQ(out.rfind("HTTP/1.0 200", 0), 0u) << out;
}

TEST_F(Serving, HeadersReachThePlugin) {
    auto r = http_request(probe(), "POST", "/v1/echo", "", {{"X-Probe", "seen"}});
    EXPECT_EQ(r.header("X-Probe-Seen"), "seen");
}

TEST_F(Serving, HandlerPastItsDeadlineGets503AndTheConnectionCloses) {
    http_connection c(probe());
    auto r = c.request("GET", "/v1/slow?ms=3000");
    expect_problem(r, 503);
    EXPECT_FALSE(r.keep_alive);
    EXPECT_TRUE(c.closed_by_peer());
    EXPECT_EQ(http_request(probe(), "GET", "/v1/slow?ms=10").status, 200);
}

TEST_F(Serving, HandlersRunConcurrentlyOffTheIoThreads) {
    // Four slow requests on four connections finish together only if they run in parallel
    // on workers while the I/O threads keep answering health checks.
    std::vector<std::thread> slow;
    std::atomic<int> ok{0};
    for (int i = 0; i < 4; ++i)
        slow.emplace_back([&] { ok += http_request(probe(), "GET", "/v1/slow?ms=400").status == 200; });
    for (int i = 0; i < 5; ++i) EXPECT_EQ(http_request(host_->port("greeter"), "GET", "/healthz").status, 200);
    for (auto& t : slow) t.join();
    EXPECT_EQ(ok.load(), 4);
}

TEST_F(Serving, ConcurrentClientsAllGetAnswers) {
    std::atomic<int> ok{0};
    std::vector<std::thread> clients;
    for (int t = 0; t < 8; ++t)
        clients.emplace_back([&, t] {
            http_connection c(probe());
            for (int i = 0; i < 50; ++i) {
                auto r = c.request("GET", "/v1/items/" + std::to_string(t * 100 + i));
                ok += r.status == 200 && r.json()["id"] == std::to_string(t * 100 + i);
            }
        });
    for (auto& c : clients) c.join();
    EXPECT_EQ(ok.load(), 400);
}

}  // namespace
}  // namespace berth::test
