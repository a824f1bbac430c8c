// CORS as a browser applies it: tests/e2e/cors.mjs calls a module from a page on an allowed
// origin and from one on another origin, in Debian's Chromium.
#include "e2e/node_script.hpp"
#include "support/test_host.hpp"

#include <gtest/gtest.h>

namespace berth::test {
namespace {

TEST(CorsInABrowser, AnAllowedOriginCallsTheModuleAndAnotherIsRefusedBeforeTheCallIsMade) {
    const std::string allowed = "http://app.localhost:5173";
    test_host host({{"greeter", shipped_plugin("greeter"), {{"cors", {{"allowed_origins", {allowed}}}}}}});
    const std::string module = "http://127.0.0.1:" + std::to_string(host.port("greeter"));

    std::string output;
    EXPECT_EQ(run_node_script("cors.mjs", {module, allowed, "http://evil.localhost:5173"}, output), 0) << output;
    // The refused origin's POST was never sent: its preflight got 403, so one greeting was made.
    auto stats = http_request(host.port("greeter"), "GET", "/v1/stats");
    ASSERT_EQ(stats.status, 200);
    EXPECT_EQ(stats.json()["greetings"], 1) << output;
    std::printf("%s\n", output.c_str());
}

}  // namespace
}  // namespace berth::test
