// The dashboard on the admin listener, over real HTTP against a real host: its files (open,
// built into the host, under a strict CSP), the data it reads (closed), and the one-time codes
// that carry the admin token to it (POST /dashboard/links, POST /dashboard/session).
#include "admin/dashboard_links.hpp"
#include "support/http_client.hpp"
#include "support/test_host.hpp"

#include <gtest/gtest.h>
#include <sodium.h>

#include <fstream>
#include <sstream>

namespace berth::test {
namespace {

using host::admin::dashboard_links;

bool contains(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

class Dashboard : public ::testing::Test {
protected:
    void SetUp() override { host_ = std::make_unique<test_host>(std::vector<plugin_spec>{{"greeter", shipped_plugin("greeter")}}); }
    std::uint16_t admin() const { return host_->admin_port(); }
    std::string host_header() const { return "127.0.0.1:" + std::to_string(admin()); }
    // POST /dashboard/links with the token, as berthctl dashboard does.
    reply new_link() const {
        return http_request(admin(), "POST", "/dashboard/links", "{}",
                            {{"Authorization", "Bearer " + host_->admin_token()},
                             {"Content-Type", "application/json"},
                             {"Host", host_header()}});
    }
    static std::string code_of(const reply& link) {
        const std::string url = link.json().at("url");
        auto at = url.find("#code=");
        return at == std::string::npos ? "" : url.substr(at + 6);
    }
    reply session(const std::string& body, const std::string& type = "application/json") const {
        header_list h;
        if (!type.empty()) h.emplace_back("Content-Type", type);
        return http_request(admin(), "POST", "/dashboard/session", body, h);
    }
    reply trade(const std::string& code) const { return session(nlohmann::json{{"code", code}}.dump()); }

    std::unique_ptr<test_host> host_;
};

TEST_F(Dashboard, ThePageIsServedAtTheRootWithoutTheTokenAndWithoutInlineScript) {
    auto r = http_request(admin(), "GET", "/");
    ASSERT_EQ(r.status, 200) << r.body;
    EXPECT_EQ(r.header("Content-Type"), "text/html; charset=utf-8");
    EXPECT_TRUE(contains(r.body, R"(<script src="/dashboard/metrics.js"></script>)")) << r.body;
    EXPECT_TRUE(contains(r.body, R"(<script src="/dashboard/app.js"></script>)")) << r.body;
    EXPECT_TRUE(contains(r.body, R"(<link rel="stylesheet" href="/dashboard/app.css">)")) << r.body;
    EXPECT_FALSE(contains(r.body, "<script>")) << "no inline script under a CSP of 'self'";
    EXPECT_FALSE(contains(r.body, "style=")) << "no inline style under a CSP of 'self'";
}

TEST_F(Dashboard, ItsScriptAndStyleAreServedWithTheirTypesWithoutTheToken) {
    auto js = http_request(admin(), "GET", "/dashboard/app.js");
    ASSERT_EQ(js.status, 200) << js.body;
    EXPECT_EQ(js.header("Content-Type"), "text/javascript; charset=utf-8");
    EXPECT_TRUE(contains(js.body, "sessionStorage")) << "the script is the dashboard's";
    auto metrics = http_request(admin(), "GET", "/dashboard/metrics.js");
    ASSERT_EQ(metrics.status, 200) << metrics.body;
    EXPECT_EQ(metrics.header("Content-Type"), "text/javascript; charset=utf-8");
    EXPECT_TRUE(contains(metrics.body, "parseMetrics"));
    auto css = http_request(admin(), "GET", "/dashboard/app.css");
    ASSERT_EQ(css.status, 200) << css.body;
    EXPECT_EQ(css.header("Content-Type"), "text/css; charset=utf-8");
    EXPECT_EQ(http_request(admin(), "HEAD", "/dashboard/app.js").status, 200);
}

TEST_F(Dashboard, EveryFileCarriesAStrictContentSecurityPolicy) {
    for (const char* target : {"/", "/dashboard/app.js", "/dashboard/metrics.js", "/dashboard/app.css"}) {
        auto r = http_request(admin(), "GET", target);
        ASSERT_EQ(r.status, 200) << target;
        auto csp = r.header("Content-Security-Policy");
        EXPECT_TRUE(contains(csp, "default-src 'none'")) << target << ": " << csp;
        EXPECT_TRUE(contains(csp, "script-src 'self'")) << csp;
        EXPECT_TRUE(contains(csp, "connect-src 'self'")) << csp;
        EXPECT_TRUE(contains(csp, "frame-ancestors 'none'")) << csp;
        EXPECT_FALSE(contains(csp, "unsafe")) << csp;
        EXPECT_EQ(r.header("X-Content-Type-Options"), "nosniff") << target;
        EXPECT_EQ(r.header("Referrer-Policy"), "no-referrer") << target;
    }
}

TEST_F(Dashboard, OnlyItsFixedNamesAreServedAndNoPathReachesTheDisk) {
    for (const char* target : {"/dashboard/index.html", "/dashboard/", "/dashboard/APP.JS", "/dashboard/app.js.map",
                               "/dashboard/%2e%2e", "/dashboard/%2fetc%2fpasswd", "/dashboard/admin.token"}) {
        auto r = http_request(admin(), "GET", target);
        EXPECT_EQ(r.status, 404) << target << ": " << r.body;
        EXPECT_EQ(r.header("Content-Type"), "application/problem+json") << target;
    }
    // Anything deeper is not a dashboard file at all: closed like the rest of the admin API.
    for (const char* target : {"/dashboard/../admin.token", "/dashboard/%2e%2e/admin.token", "/dashboard/app.js/",
                               "/dashboard/links", "/dashboard/session"}) {
        auto r = http_request(admin(), "GET", target);
        EXPECT_EQ(r.status, 401) << target << ": " << r.body;
        EXPECT_EQ(r.header("Content-Type"), "application/problem+json") << target;
    }
}

TEST_F(Dashboard, WhatThePageReadsNeedsTheToken) {
    for (const char* target : {"/modules", "/plugins", "/index.html", "/dashboard/app.js/../../modules"}) {
        auto r = http_request(admin(), "GET", target);
        EXPECT_TRUE(r.status == 401 || r.status == 404) << target << ": " << r.status;
        EXPECT_FALSE(contains(r.body, "greeter")) << target << " shows a module without the token: " << r.body;
    }
    EXPECT_EQ(http_request(admin(), "GET", "/modules").status, 401);
    EXPECT_EQ(http_request(admin(), "POST", "/modules/greeter/rollback", "{}", {{"Content-Type", "application/json"}}).status, 401);
    EXPECT_EQ(post_json(admin(), "/dashboard/links", nlohmann::json::object()).status, 401) << "a link is made with the token only";
}

TEST_F(Dashboard, ALinkCarriesAOneTimeCodeInItsFragmentNeverTheToken) {
    auto link = new_link();
    ASSERT_EQ(link.status, 201) << link.body;
    const std::string url = link.json().at("url");
    EXPECT_EQ(url.rfind("http://" + host_header() + "/#code=", 0), 0u) << url;
    EXPECT_EQ(link.json().at("expires_in_s"), 60);
    EXPECT_EQ(code_of(link).size(), dashboard_links::code_length) << url;
    EXPECT_FALSE(contains(link.body, host_->admin_token())) << "the link must not carry the token itself";
    EXPECT_EQ(link.header("Cache-Control"), "no-store");
}

TEST_F(Dashboard, ACodeIsTradedForTheAdminTokenOnce) {
    const auto code = code_of(new_link());
    auto first = trade(code);
    ASSERT_EQ(first.status, 200) << first.body;
    EXPECT_EQ(first.json().at("token"), host_->admin_token());
    EXPECT_EQ(first.header("Cache-Control"), "no-store");
    auto again = trade(code);
    EXPECT_EQ(again.status, 401) << again.body;
    EXPECT_EQ(again.header("Content-Type"), "application/problem+json");
    EXPECT_FALSE(contains(again.body, host_->admin_token()));
}

TEST_F(Dashboard, AWrongCodeIsRefusedWith401) {
    ASSERT_EQ(new_link().status, 201);  // a code is outstanding, and it is not any of these
    for (const std::string code : {std::string(64, '0'), std::string("abc"), std::string(64, 'G'), std::string()}) {
        auto r = trade(code);
        EXPECT_EQ(r.status, 401) << code << ": " << r.body;
        EXPECT_FALSE(contains(r.body, host_->admin_token()));
    }
}

TEST_F(Dashboard, ASessionCallThatIsNotJsonIsRefusedBeforeAnyCodeIsSpent) {
    const auto code = code_of(new_link());
    EXPECT_EQ(session("code=" + code, "application/x-www-form-urlencoded").status, 415) << "no cross-site form post";
    EXPECT_EQ(session(R"({"code": 1})").status, 400);
    EXPECT_EQ(session(R"({"code": ")" + code + R"(", "more": 1})").status, 400);
    EXPECT_EQ(session("[").status, 400);
    EXPECT_EQ(trade(code).status, 200) << "the code was still good";
}

TEST_F(Dashboard, OnlyAFewLinksMayBeOutstanding) {
    std::vector<std::string> codes;
    for (std::size_t i = 0; i < dashboard_links::max_outstanding; ++i) {
        auto r = new_link();
        ASSERT_EQ(r.status, 201) << i << ": " << r.body;
        codes.push_back(code_of(r));
    }
    auto over = new_link();
    EXPECT_EQ(over.status, 429) << over.body;
    EXPECT_EQ(over.header("Retry-After"), "60");
    ASSERT_EQ(trade(codes.front()).status, 200);
    EXPECT_EQ(new_link().status, 201) << "a used code frees its place";
}

TEST_F(Dashboard, TheExchangeIsAuditedWithoutTheTokenItHandsOut) {
    ASSERT_EQ(trade(code_of(new_link())).status, 200);
    ASSERT_EQ(trade(std::string(64, 'a')).status, 401);
    // An audited call's line is written before its answer is sent.
    std::ifstream in(host_->data_dir() / "audit.log");
    std::stringstream text;
    text << in.rdbuf();
    EXPECT_TRUE(contains(text.str(), "POST /dashboard/session")) << text.str();
    EXPECT_TRUE(contains(text.str(), "POST /dashboard/links")) << text.str();
    EXPECT_FALSE(contains(text.str(), host_->admin_token())) << text.str();
}

TEST(DashboardLinks, ACodeExpiresAfterSixtySeconds) {
    auto now = dashboard_links::clock::time_point{};
    dashboard_links links([&] { return now; });
    auto late = links.issue();
    auto in_time = links.issue();
    ASSERT_TRUE(late && in_time);
    now += dashboard_links::lifetime - std::chrono::seconds(1);
    EXPECT_TRUE(links.redeem(*in_time)) << "59 s after it was made";
    now += std::chrono::seconds(1);
    EXPECT_FALSE(links.redeem(*late)) << "60 s after it was made";
}

TEST(DashboardLinks, AnExpiredCodeFreesItsPlace) {
    auto now = dashboard_links::clock::time_point{};
    dashboard_links links([&] { return now; });
    for (std::size_t i = 0; i < dashboard_links::max_outstanding; ++i) ASSERT_TRUE(links.issue()) << i;
    EXPECT_FALSE(links.issue());
    now += dashboard_links::lifetime;
    EXPECT_TRUE(links.issue());
}

TEST(DashboardLinks, CodesAreDistinctLowerHex) {
    ASSERT_GE(sodium_init(), 0);
    dashboard_links links;
    auto a = links.issue();
    auto b = links.issue();
    ASSERT_TRUE(a && b);
    EXPECT_NE(*a, *b);
    EXPECT_EQ(a->find_first_not_of("0123456789abcdef"), std::string::npos) << *a;
    EXPECT_FALSE(links.redeem(std::string(a->size(), 'x')));
    EXPECT_TRUE(links.redeem(*a));
}

}  // namespace
}  // namespace berth::test
