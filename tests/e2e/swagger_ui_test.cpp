// The Swagger UI end to end: the shop started for real, then tests/e2e/swagger_ui.mjs drives
// Debian's Chromium (headless, through playwright-core from .deps/npm) over its /docs pages.
// Its own program and ctest label (e2e): `ctest -L e2e` runs it alone, `-LE e2e` leaves it out.
#include "support/shop.hpp"

#include <gtest/gtest.h>

#include <sys/wait.h>

#include <cstdio>
#include <filesystem>

namespace berth::test {
namespace {

namespace fs = std::filesystem;

// Runs `command` through the shell; returns its exit status (-1 if it did not exit) and output.
int run(const std::string& command, std::string& output) {
    FILE* p = popen((command + " 2>&1").c_str(), "r");
    if (!p) return -1;
    char buf[4096];
    while (auto n = fread(buf, 1, sizeof buf, p)) output.append(buf, n);
    const int status = pclose(p);
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

std::string quoted(const std::string& s) { return "'" + s + "'"; }

TEST(SwaggerUi, ChromiumTriesAListCallOnAModulePageAndFindsEveryModuleOnTheAdminPage) {
    shop s;
    s.product("E2E-SKU-1", 1250, 3);  // so the list the browser gets is not empty
    const fs::path shots = fs::path(BERTH_E2E_OUT) / "screenshots";
    fs::remove_all(shots);  // what is there afterwards, this run made
    const std::string products = "http://127.0.0.1:" + std::to_string(s.products()) + "/docs";
    const std::string admin = "http://127.0.0.1:" + std::to_string(s.host().admin_port()) + "/docs";

    // timeout(1) backs the script's own 90 s bound, should node itself hang.
    const std::string command = "BERTH_NPM_DIR=" + quoted(BERTH_NPM_DIR) + " BERTH_CHROMIUM=" + quoted(BERTH_CHROMIUM) +
                                " timeout -k 5 120 " + quoted(BERTH_NODE) + " " + quoted(BERTH_E2E_SCRIPT) + " " +
                                quoted(products) + " " + quoted(admin) + " " + quoted(shots.string());
    std::string output;
    const int status = run(command, output);
    EXPECT_EQ(status, 0) << output;
    EXPECT_NE(output.find("E2E-SKU-1"), std::string::npos) << "the body the UI showed has the product: " << output;
    for (const char* shot : {"products-docs.png", "admin-docs.png"}) {
        EXPECT_TRUE(fs::is_regular_file(shots / shot)) << shot;
        EXPECT_GT(fs::exists(shots / shot) ? fs::file_size(shots / shot) : 0, 10'000u) << shot;
    }
    std::printf("%s", output.c_str());
}

}  // namespace
}  // namespace berth::test
