// The host loads and serves a plugin that was built out of tree against the installed SDK.
#include "support/http_client.hpp"
#include "support/test_host.hpp"

#include <gtest/gtest.h>

namespace berth::test {
namespace {

TEST(OutOfTree, HostServesAPluginBuiltAgainstTheInstalledSdk) {
    test_host host({plugin_spec{"notes", BERTH_OOT_PLUGIN}});
    auto port = host.port("notes");
    EXPECT_EQ(http_request(port, "GET", "/healthz").json()["version"], "1.0.0");

    auto pinned = post_json(port, "/v1/notes", {{"text", "restock lamps"}});
    ASSERT_EQ(pinned.status, 201) << pinned.body;
    auto id = pinned.json()["id"].get<std::string>();
    auto read = http_request(port, "GET", "/v1/notes/" + id);
    ASSERT_EQ(read.status, 200);
    EXPECT_EQ(read.json()["text"], "restock lamps");

    auto missing = http_request(port, "GET", "/v1/notes/999");
    EXPECT_EQ(missing.status, 404);
    EXPECT_EQ(missing.header("Content-Type"), "application/problem+json");
    EXPECT_EQ(post_json(port, "/v1/notes", {{"text", ""}}).status, 400);

    auto results = host.runtime().stop();
    ASSERT_EQ(results.size(), 1u);
    EXPECT_TRUE(results[0].unloaded) << results[0].detail;
}

}  // namespace
}  // namespace berth::test
