// The dashboard end to end: the shop started for real, a one-time link made on the admin API,
// then tests/e2e/dashboard.mjs drives Debian's Chromium (headless, playwright-core from
// .deps/npm) through it: four modules, rising request counts, swaps and a rollback in the history.
#include "e2e/node_script.hpp"
#include "support/shop.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

namespace berth::test {
namespace {

namespace fs = std::filesystem;

TEST(Dashboard, ChromiumOpensALinkSeesEveryModuleRisingRequestsAndTheSwapHistory) {
    temp_dir releases;
    // A second build of products: the same code, other bytes (so another content hash), which a
    // swap loads as a new generation.
    const fs::path good = releases.path() / "products-e2e.so";
    fs::copy_file(shipped_plugin("products"), good);
    std::ofstream(good, std::ios::app | std::ios::binary) << '\0';
    fs::permissions(good, fs::perms::owner_read | fs::perms::owner_write);
    const fs::path bad = shipped_plugin("categories");  // another plugin: a swap to it fails

    const nlohmann::json dirs = {releases.path().string(), shipped_plugin("products").parent_path().string()};
    shop s(nlohmann::json{{"deploy", {{"allowed_dirs", dirs}}}});
    s.product("E2E-DASH-1", 990, 2);
    const fs::path shots = fs::path(BERTH_E2E_OUT) / "dashboard";
    fs::remove_all(shots);  // what is there afterwards, this run made

    const auto admin = s.host().admin_port();
    auto link = http_request(admin, "POST", "/dashboard/links", "{}",
                             {{"Authorization", "Bearer " + s.host().admin_token()},
                              {"Content-Type", "application/json"},
                              {"Host", "127.0.0.1:" + std::to_string(admin)}});
    ASSERT_EQ(link.status, 201) << link.body;

    std::string output;
    EXPECT_EQ(run_node_script("dashboard.mjs", {link.json().at("url"), std::to_string(s.products()), good.string(),
                                                bad.string(), shots.string()},
                              output),
              0)
        << output;
    EXPECT_TRUE(fs::is_regular_file(shots / "dashboard.png"));
    EXPECT_GT(fs::exists(shots / "dashboard.png") ? fs::file_size(shots / "dashboard.png") : 0, 10'000u);
    std::printf("%s\nscreenshot: %s\n", output.c_str(), (shots / "dashboard.png").c_str());
}

TEST(Dashboard, ItsMetricsReaderParsesThePrometheusTextFormatAndComputesP99) {
    std::string output;
    EXPECT_EQ(run_node_script("dashboard_metrics.mjs", {std::string(BERTH_SOURCE_DIR) + "/host/dashboard/metrics.js"}, output), 0)
        << output;
    EXPECT_NE(output.find("8 checks held"), std::string::npos) << output;
}

}  // namespace
}  // namespace berth::test
