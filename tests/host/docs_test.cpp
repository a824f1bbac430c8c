// GET /docs: the Swagger UI page every module port and the admin listener serve, over real HTTP
// against a real host. The files come from the build tree (<build>/share/berth/swagger-ui), found
// relative to this test program as berthd finds them.
#include "support/http_client.hpp"
#include "support/test_host.hpp"

#include <gtest/gtest.h>

#include <fstream>

namespace berth::test {
namespace {

class Docs : public ::testing::Test {
protected:
    static void SetUpTestSuite() {
        host_ = new test_host({{"greeter", shipped_plugin("greeter")}, {"stats", shipped_plugin("greeter")}});
    }
    static void TearDownTestSuite() {
        delete host_;
        host_ = nullptr;
    }
    static std::uint16_t greeter() { return host_->port("greeter"); }
    static test_host* host_;
};
test_host* Docs::host_ = nullptr;

bool contains(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

TEST_F(Docs, AModulePageIsSwaggerUiForItsOwnDocumentWithoutInlineScript) {
    auto r = http_request(greeter(), "GET", "/docs");
    ASSERT_EQ(r.status, 200) << r.body;
    EXPECT_EQ(r.header("Content-Type"), "text/html; charset=utf-8");
    EXPECT_TRUE(contains(r.body, "<title>greeter API</title>")) << r.body;
    EXPECT_TRUE(contains(r.body, R"(<script src="/docs/swagger-ui-bundle.js"></script>)"));
    EXPECT_TRUE(contains(r.body, R"(<script src="/docs/init.js"></script>)"));
    EXPECT_FALSE(contains(r.body, "<script>")) << "no inline script under a CSP of 'self'";
    auto init = http_request(greeter(), "GET", "/docs/init.js");
    ASSERT_EQ(init.status, 200);
    EXPECT_EQ(init.header("Content-Type"), "text/javascript; charset=utf-8");
    EXPECT_TRUE(contains(init.body, R"(url: "/openapi.json")")) << init.body;
    EXPECT_TRUE(contains(init.body, "validatorUrl: null")) << "the UI must not call a validator elsewhere";
}

TEST_F(Docs, ThePageMayLoadOnlyFromItsOwnOrigin) {
    for (const char* target : {"/docs", "/docs/init.js", "/docs/swagger-ui-bundle.js"}) {
        auto r = http_request(greeter(), "GET", target);
        ASSERT_EQ(r.status, 200) << target;
        auto csp = r.header("Content-Security-Policy");
        EXPECT_TRUE(contains(csp, "default-src 'none'")) << csp;
        EXPECT_TRUE(contains(csp, "script-src 'self'")) << csp;
        EXPECT_TRUE(contains(csp, "connect-src 'self'")) << csp;
        EXPECT_FALSE(contains(csp, "unsafe")) << csp;
        EXPECT_EQ(r.header("X-Content-Type-Options"), "nosniff");
    }
}

TEST_F(Docs, TheSwaggerUiFilesAreServedWithTheirTypes) {
    const std::pair<const char*, const char*> files[] = {
        {"/docs/swagger-ui-bundle.js", "text/javascript; charset=utf-8"},
        {"/docs/swagger-ui.css", "text/css; charset=utf-8"},
        {"/docs/favicon-32x32.png", "image/png"},
        {"/docs/LICENSE", "text/plain; charset=utf-8"},
    };
    for (auto& [target, type] : files) {
        auto r = http_request(greeter(), "GET", target);
        ASSERT_EQ(r.status, 200) << target;
        EXPECT_EQ(r.header("Content-Type"), type) << target;
        EXPECT_GT(r.body.size(), 100u) << target;
    }
    EXPECT_TRUE(contains(http_request(greeter(), "GET", "/docs/swagger-ui-bundle.js").body, "SwaggerUIBundle"));
}

TEST_F(Docs, OnlyTheFixedNamesAreServedAndNoPathReachesTheDisk) {
    for (const char* target : {"/docs/index.html", "/docs/../admin.token", "/docs/%2e%2e/admin.token",
                               "/docs/swagger-ui.css/", "/docs//etc/passwd", "/docs/package.json", "/docs/init.js.map"}) {
        auto r = http_request(greeter(), "GET", target);
        EXPECT_EQ(r.status, 404) << target << ": " << r.body;
        EXPECT_EQ(r.header("Content-Type"), "application/problem+json") << target;
    }
}

TEST_F(Docs, OtherMethodsAre405WithAllow) {
    auto r = http_request(greeter(), "POST", "/docs", "{}", {{"Content-Type", "application/json"}});
    EXPECT_EQ(r.status, 405);
    EXPECT_EQ(r.header("Allow"), "GET, HEAD");
    auto head = http_request(greeter(), "HEAD", "/docs/swagger-ui.css");
    EXPECT_EQ(head.status, 200);
    EXPECT_EQ(head.body, "");
}

TEST_F(Docs, TheAdminPageIsOpenAndLinksEveryModulePage) {
    auto r = http_request(host_->admin_port(), "GET", "/docs", {}, {{"Host", "localhost"}});
    ASSERT_EQ(r.status, 200) << r.body;
    EXPECT_EQ(r.header("Content-Type"), "text/html; charset=utf-8");
    for (const char* module : {"greeter", "stats"}) {
        const auto url = "http://127.0.0.1:" + std::to_string(host_->port(module)) + "/docs";
        EXPECT_TRUE(contains(r.body, "<a href=\"" + url + "\">" + module + "</a>")) << r.body;
    }
    auto init = http_request(host_->admin_port(), "GET", "/docs/init.js", {}, {{"Host", "localhost"}});
    ASSERT_EQ(init.status, 200);
    EXPECT_TRUE(contains(init.body, "supportedSubmitMethods: []")) << "calls from the admin page would be cross-origin";
    EXPECT_EQ(http_request(host_->admin_port(), "GET", "/docs/swagger-ui.css", {}, {{"Host", "localhost"}}).status, 200);
}

TEST_F(Docs, TheAdminPageStillRefusesForeignHostsAndOtherMethods) {
    EXPECT_EQ(http_request(host_->admin_port(), "GET", "/docs", {}, {{"Host", "evil.example"}}).status, 421);
    auto post = http_request(host_->admin_port(), "POST", "/docs", "{}",
                             {{"Host", "localhost"}, {"Content-Type", "application/json"}});
    EXPECT_EQ(post.status, 401) << "only GET and HEAD are open";
    EXPECT_EQ(http_request(host_->admin_port(), "GET", "/modules", {}, {{"Host", "localhost"}}).status, 401)
        << "the rest of the admin API stays closed";
}

TEST(DocsMissing, WithoutTheFilesDocsIs404SayingTheUiIsNotInstalledAndTheModuleServes) {
    temp_dir empty;
    test_host host({{"greeter", shipped_plugin("greeter")}}, {{"docs", {{"assets_dir", empty.path().string()}}}});
    auto r = http_request(host.port("greeter"), "GET", "/docs");
    EXPECT_EQ(r.status, 404);
    EXPECT_EQ(r.header("Content-Type"), "application/problem+json");
    EXPECT_TRUE(contains(r.json()["detail"], "not installed")) << r.body;
    EXPECT_FALSE(contains(r.body, empty.path().string())) << "no path on a public port";
    EXPECT_EQ(http_request(host.port("greeter"), "GET", "/docs/swagger-ui.css").status, 404);
    EXPECT_EQ(http_request(host.port("greeter"), "GET", "/v1/greetings/ada").status, 200);
    EXPECT_EQ(http_request(host.admin_port(), "GET", "/docs", {}, {{"Host", "localhost"}}).status, 404);
}

TEST(DocsMissing, FilesOthersCouldChangeAreNotServed) {
    temp_dir dir;
    const std::string source = std::string(BERTH_SWAGGER_UI_DIR);
    for (auto& entry : std::filesystem::directory_iterator(source))
        std::filesystem::copy_file(entry.path(), dir.path() / entry.path().filename());
    std::filesystem::permissions(dir.path() / "swagger-ui-bundle.js", std::filesystem::perms::others_write,
                                 std::filesystem::perm_options::add);
    test_host host({{"greeter", shipped_plugin("greeter")}}, {{"docs", {{"assets_dir", dir.path().string()}}}});
    EXPECT_EQ(http_request(host.port("greeter"), "GET", "/docs").status, 404);
    // The same files, made private again: served.
    std::filesystem::permissions(dir.path() / "swagger-ui-bundle.js", std::filesystem::perms::others_write,
                                 std::filesystem::perm_options::remove);
    test_host fixed({{"greeter", shipped_plugin("greeter")}}, {{"docs", {{"assets_dir", dir.path().string()}}}});
    EXPECT_EQ(http_request(fixed.port("greeter"), "GET", "/docs").status, 200);
}

}  // namespace
}  // namespace berth::test
