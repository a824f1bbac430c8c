// CORS per module: what a browser on another origin gets from a module port, over real HTTP
// against a real host. "open" allows one origin; "closed" allows none (the default).
#include "support/http_client.hpp"
#include "support/test_host.hpp"

#include <gtest/gtest.h>

namespace berth::test {
namespace {

constexpr const char* app = "http://app.example:3000";

// Whether a Vary header names Origin (other parts, such as Accept, may come with it).
bool varies_by_origin(const std::string& vary) {
    return vary == "Origin" || vary.rfind("Origin,", 0) == 0 || vary.find(", Origin") != std::string::npos;
}

class Cors : public ::testing::Test {
protected:
    static void SetUpTestSuite() {
        host_ = new test_host({{"open", shipped_plugin("greeter"), {{"cors", {{"allowed_origins", {app, "https://shop.example"}}}}}},
                               {"closed", shipped_plugin("greeter")}});
    }
    static void TearDownTestSuite() {
        delete host_;
        host_ = nullptr;
    }
    static std::uint16_t open() { return host_->port("open"); }
    static std::uint16_t closed() { return host_->port("closed"); }
    static reply preflight(std::uint16_t port, const std::string& origin, const std::string& method,
                           const std::string& headers = "content-type") {
        header_list h{{"Origin", origin}, {"Access-Control-Request-Method", method}};
        if (!headers.empty()) h.emplace_back("Access-Control-Request-Headers", headers);
        return http_request(port, "OPTIONS", "/v1/greetings", {}, h);
    }
    static void expect_refused(const reply& r) {
        EXPECT_EQ(r.status, 403) << r.body;
        EXPECT_EQ(r.header("Content-Type"), "application/problem+json");
        EXPECT_EQ(r.json()["status"], 403);
        EXPECT_EQ(r.header("Access-Control-Allow-Origin"), "");
        EXPECT_EQ(r.header("Access-Control-Allow-Methods"), "");
    }
    static test_host* host_;
};
test_host* Cors::host_ = nullptr;

TEST_F(Cors, PreflightFromAnAllowedOriginIs204WithWhatItMaySend) {
    auto r = preflight(open(), app, "POST", "authorization,content-type,idempotency-key");
    ASSERT_EQ(r.status, 204) << r.body;
    EXPECT_EQ(r.header("Access-Control-Allow-Origin"), app);
    EXPECT_EQ(r.header("Access-Control-Allow-Methods"), "GET, HEAD, POST, PUT, PATCH, DELETE");
    EXPECT_EQ(r.header("Access-Control-Allow-Headers"),
              "Authorization, Content-Type, Accept, Idempotency-Key, X-Request-Id");
    EXPECT_EQ(r.header("Access-Control-Max-Age"), "600");
    EXPECT_EQ(r.header("Vary"), "Origin");
    EXPECT_EQ(r.body, "");
    EXPECT_FALSE(r.header("X-Request-Id").empty());
}

TEST_F(Cors, EachListedOriginIsAllowedOnItsOwn) {
    auto r = preflight(open(), "https://shop.example", "GET", "");
    ASSERT_EQ(r.status, 204) << r.body;
    EXPECT_EQ(r.header("Access-Control-Allow-Origin"), "https://shop.example");
}

TEST_F(Cors, PreflightFromAnUnlistedOriginIs403WithoutAllowOrigin) {
    expect_refused(preflight(open(), "http://evil.example", "POST"));
    // Exact comparison: another port, scheme or a trailing slash is another origin.
    expect_refused(preflight(open(), "http://app.example:3001", "POST"));
    expect_refused(preflight(open(), "https://app.example:3000", "POST"));
    expect_refused(preflight(open(), "http://app.example:3000/", "POST"));
    expect_refused(preflight(open(), "null", "POST"));
}

TEST_F(Cors, PreflightOnAModuleThatAllowsNoOriginIs403) {
    auto r = preflight(closed(), app, "GET", "");
    expect_refused(r);
    EXPECT_EQ(r.header("Vary"), "Origin");
}

TEST_F(Cors, PreflightForAMethodTheHostDoesNotAllowIs403) {
    expect_refused(preflight(open(), app, "TRACE"));
    expect_refused(preflight(open(), app, "CONNECT"));
}

TEST_F(Cors, PreflightAskingToSendAnUnlistedHeaderIs403NamingTheAllowedOnes) {
    auto r = preflight(open(), app, "POST", "content-type,x-debug");
    expect_refused(r);
    EXPECT_NE(r.json()["detail"].get<std::string>().find("Idempotency-Key"), std::string::npos) << r.body;
}

TEST_F(Cors, AnswerToAnAllowedOriginCarriesAllowOriginVaryAndExposedHeaders) {
    auto r = http_request(open(), "GET", "/v1/greetings/ada", {}, {{"Origin", app}});
    ASSERT_EQ(r.status, 200) << r.body;
    EXPECT_EQ(r.header("Access-Control-Allow-Origin"), app);
    EXPECT_TRUE(varies_by_origin(r.header("Vary"))) << r.header("Vary");
    EXPECT_EQ(r.header("Access-Control-Expose-Headers"), "X-Request-Id, Location, Retry-After, Deprecation, Sunset, Link");
}

TEST_F(Cors, ProblemAnswersToAnAllowedOriginCarryAllowOriginSoTheAppCanReadThem) {
    auto r = http_request(open(), "POST", "/v1/greetings", R"({"name": ""})",
                          {{"Origin", app}, {"Content-Type", "application/json"}});
    ASSERT_EQ(r.status, 400) << r.body;
    EXPECT_EQ(r.header("Access-Control-Allow-Origin"), app);
    auto missing = http_request(open(), "GET", "/v1/nowhere", {}, {{"Origin", app}});
    EXPECT_EQ(missing.status, 404);
    EXPECT_EQ(missing.header("Access-Control-Allow-Origin"), app);
}

TEST_F(Cors, AnswerToAnUnlistedOriginIsServedWithoutAllowOrigin) {
    // CORS is the browser's permission to read, not access control: the call is served, and
    // the browser keeps its answer from the script.
    auto r = http_request(open(), "GET", "/v1/greetings/ada", {}, {{"Origin", "http://evil.example"}});
    ASSERT_EQ(r.status, 200) << r.body;
    EXPECT_EQ(r.header("Access-Control-Allow-Origin"), "");
    EXPECT_EQ(r.header("Access-Control-Expose-Headers"), "");
    EXPECT_TRUE(varies_by_origin(r.header("Vary"))) << "a cache must not hand it to an allowed origin: " << r.header("Vary");
}

TEST_F(Cors, AModuleThatAllowsNoOriginAddsNoCorsHeaders) {
    auto r = http_request(closed(), "GET", "/v1/greetings/ada", {}, {{"Origin", app}});
    ASSERT_EQ(r.status, 200) << r.body;
    EXPECT_EQ(r.header("Access-Control-Allow-Origin"), "");
    EXPECT_FALSE(varies_by_origin(r.header("Vary"))) << r.header("Vary");
}

TEST_F(Cors, HostRoutesCarryTheHeadersToo) {
    auto r = http_request(open(), "GET", "/healthz", {}, {{"Origin", app}});
    ASSERT_EQ(r.status, 200);
    EXPECT_EQ(r.header("Access-Control-Allow-Origin"), app);
}

TEST_F(Cors, OptionsWithoutPreflightHeadersIsNotAPreflight) {
    auto r = http_request(open(), "OPTIONS", "/v1/greetings", {}, {{"Origin", app}});
    EXPECT_EQ(r.status, 405) << r.body;
    EXPECT_EQ(r.header("Access-Control-Allow-Methods"), "");
}

// --- the config key ---

berth::host::config_result with_origins(const nlohmann::json& origins) {
    nlohmann::json doc = {{"modules", {{"m", {{"library", "m.so"}, {"port", 9100}, {"cors", {{"allowed_origins", origins}}}}}}}};
    return berth::host::parse_config(doc.dump(), "/etc/berth");
}

TEST(CorsConfig, ExactOriginsAreRead) {
    auto c = with_origins({"http://localhost:5173", "https://shop.example", "http://[::1]:8000", "http://10.0.0.7"});
    ASSERT_TRUE(c.value) << c.errors[0].pointer << ": " << c.errors[0].message;
    EXPECT_EQ(c.value->modules[0].cors.allowed_origins,
              (std::vector<std::string>{"http://localhost:5173", "https://shop.example", "http://[::1]:8000", "http://10.0.0.7"}));
}

TEST(CorsConfig, NoOriginIsAllowedByDefault) {
    auto c = berth::host::parse_config(R"({"modules": {"m": {"library": "m.so", "port": 9100}}})", "/etc/berth");
    ASSERT_TRUE(c.value);
    EXPECT_TRUE(c.value->modules[0].cors.allowed_origins.empty());
}

TEST(CorsConfig, WhatIsNotAnExactOriginIsRefusedWithItsPointer) {
    for (const char* bad : {"*", "http://*.example", "https://shop.example/", "https://shop.example/app", "ftp://x.example",
                            "http://Shop.example", "http://shop.example:0", "http://shop.example:65536",
                            "http://shop.example:080", "http://shop.example:80", "https://shop.example:443",
                            "http://shop..example", "http://-shop.example", "shop.example", "http://shop.example:"}) {
        auto c = with_origins({"http://ok.example", bad});
        ASSERT_FALSE(c.value) << bad;
        ASSERT_FALSE(c.errors.empty()) << bad;
        EXPECT_EQ(c.errors[0].pointer, "/modules/m/cors/allowed_origins/1") << bad << ": " << c.errors[0].message;
    }
}

TEST(CorsConfig, ListsAreBounded) {
    nlohmann::json many = nlohmann::json::array();
    for (int i = 0; i < 65; ++i) many.push_back("http://h" + std::to_string(i) + ".example");
    EXPECT_FALSE(with_origins(many).value);
    EXPECT_FALSE(with_origins({"http://a.example", "http://a.example"}).value);  // listed twice
}

}  // namespace
}  // namespace berth::test
