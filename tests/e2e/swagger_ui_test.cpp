// The Swagger UI end to end: the shop started for real, then tests/e2e/swagger_ui.mjs drives
// Debian's Chromium (headless, through playwright-core from .deps/npm) over its /docs pages.
#include "e2e/node_script.hpp"
#include "support/shop.hpp"

#include <gtest/gtest.h>

#include <filesystem>

namespace berth::test {
namespace {

namespace fs = std::filesystem;

TEST(SwaggerUi, ChromiumTriesAListCallOnAModulePageAndFindsEveryModuleOnTheAdminPage) {
    shop s;
    s.product("E2E-SKU-1", 1250, 3);  // so the list the browser gets is not empty
    const fs::path shots = fs::path(BERTH_E2E_OUT) / "screenshots";
    fs::remove_all(shots);  // what is there afterwards, this run made
    const std::string products = "http://127.0.0.1:" + std::to_string(s.products()) + "/docs";
    const std::string admin = "http://127.0.0.1:" + std::to_string(s.host().admin_port()) + "/docs";

    std::string output;
    EXPECT_EQ(run_node_script("swagger_ui.mjs", {products, admin, shots.string()}, output), 0) << output;
    EXPECT_NE(output.find("E2E-SKU-1"), std::string::npos) << "the body the UI showed has the product: " << output;
    for (const char* shot : {"products-docs.png", "admin-docs.png"}) {
        EXPECT_TRUE(fs::is_regular_file(shots / shot)) << shot;
        EXPECT_GT(fs::exists(shots / shot) ? fs::file_size(shots / shot) : 0, 10'000u) << shot;
    }
    std::printf("%s", output.c_str());
}

}  // namespace
}  // namespace berth::test
