// Redocly's linter (npm @redocly/cli, pinned in scripts/npm) over every document the real host
// publishes for the shop: each module's /openapi.json and the admin listener's merged one.
// Errors fail the test; warnings are printed. The rules turned off are in redocly.yaml.
#include "support/http_client.hpp"
#include "support/shop.hpp"

#include <gtest/gtest.h>

#include <array>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sys/wait.h>

namespace berth::test {
namespace {

namespace fs = std::filesystem;

const fs::path redocly = fs::path(BERTH_NPM_DIR) / "node_modules/@redocly/cli/bin/cli.js";

// Runs a command (every part of it from this file or the build), returns its exit status and output.
std::pair<int, std::string> run(const std::string& command) {
    std::string output;
    FILE* p = popen((command + " 2>&1").c_str(), "r");
    if (!p) return {-1, "popen failed"};
    std::array<char, 4096> buf{};
    while (auto n = std::fread(buf.data(), 1, buf.size(), p)) output.append(buf.data(), n);
    const int status = pclose(p);
    return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, output};
}

std::string quoted(const fs::path& p) { return "'" + p.string() + "'"; }

fs::path write(const fs::path& dir, const std::string& name, const reply& r) {
    const auto file = dir / (name + ".openapi.json");
    std::ofstream(file) << r.body;
    return file;
}

TEST(OpenApiLint, EveryShopDocumentAndTheMergedOneLintWithoutErrors) {
    ASSERT_TRUE(fs::exists(redocly)) << redocly << " is missing: run scripts/install-deps";
    shop s;
    const fs::path out = BERTH_OPENAPI_OUT;
    fs::remove_all(out);
    fs::create_directories(out);
    std::vector<fs::path> files;
    for (auto [name, port] : {std::pair<const char*, std::uint16_t>{"users", s.users()},
                              {"categories", s.categories()},
                              {"products", s.products()},
                              {"payment", s.payment()},
                              {"merged", s.host().admin_port()}}) {
        auto r = http_request(port, "GET", "/openapi.json");
        ASSERT_EQ(r.status, 200) << name << ": " << r.body;
        ASSERT_FALSE(r.json()["paths"].empty()) << name << " publishes no paths";
        files.push_back(write(out, name, r));
    }
    std::string command = "REDOCLY_TELEMETRY=off node " + quoted(redocly) + " lint --format=summary --config " +
                          quoted(fs::path(BERTH_SOURCE_DIR) / "tests/contracts/redocly.yaml");
    for (auto& f : files) command += " " + quoted(f);
    auto [status, output] = run(command);
    std::cout << output;  // the warnings, for the record
    EXPECT_EQ(status, 0) << output;
    EXPECT_NE(output.find("validated"), std::string::npos) << "Redocly did not lint anything:\n" << output;
}

}  // namespace
}  // namespace berth::test
