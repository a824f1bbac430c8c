// Redocly's linter (npm @redocly/cli, pinned in scripts/npm) over every document the real host
// publishes for the shop: each module's /openapi.json and the admin listener's merged one.
// Errors fail the test; warnings are printed. The rules turned off are in redocly.yaml. A
// generated document that uses every declaration is linted too (the shop may not use them all).
#include "contract/openapi.hpp"
#include "pipeline/route_contract.hpp"
#include "support/http_client.hpp"
#include "support/shop.hpp"

#include <gtest/gtest.h>

#include <array>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sys/wait.h>
#include <variant>
#include <vector>

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

// Lints `files`; the test fails on any error.
void expect_lint_clean(const std::vector<fs::path>& files) {
    std::string command = "REDOCLY_TELEMETRY=off node " + quoted(redocly) + " lint --format=summary --config " +
                          quoted(fs::path(BERTH_SOURCE_DIR) / "tests/contracts/redocly.yaml");
    for (auto& f : files) command += " " + quoted(f);
    auto [status, output] = run(command);
    std::cout << output;  // the warnings, for the record
    EXPECT_EQ(status, 0) << output;
    EXPECT_NE(output.find("validated"), std::string::npos) << "Redocly did not lint anything:\n" << output;
}

// What the shop does not declare yet on its own: responses with components and problems,
// auth with scopes, query parameters, tags, a deprecated major, a route for callers only.
TEST(OpenApiLint, ADocumentUsingEveryDeclarationLintsWithoutErrors) {
    ASSERT_TRUE(fs::exists(redocly)) << redocly << " is missing: run scripts/install-deps";
    auto compiled = berth::host::pipeline::compile_routes(nlohmann::json::parse(R"({
      "info": {"title": "Stock", "description": "Counts what is on the shelves."},
      "components": {"Item": {"type": "object", "required": ["id"],
                              "properties": {"id": {"type": "integer"}, "name": {"type": "string"}}},
                     "Items": {"type": "array", "items": {"$ref": "#/components/schemas/Item"}}},
      "majors": {"1": {"deprecated": true, "since": "2026-01-01", "sunset": "2027-01-01", "link": "https://example.com/v2"}},
      "routes": [
        {"method": "GET", "path": "/v1/items/{id}", "summary": "One item", "operation_id": "getItem",
         "responses": {"200": {"description": "The item", "schema": {"$ref": "#/components/schemas/Item"}},
                       "404": {"description": "No such item", "media_type": "application/problem+json",
                               "schema": {"$ref": "#/components/schemas/Problem"}}}},
        {"method": "POST", "path": "/v2/items", "operation_id": "addItem", "tags": ["catalog"],
         "auth": {"scopes": ["stock:write"]},
         "schema": {"type": "object", "required": ["name"], "properties": {"name": {"type": "string"}}},
         "responses": {"201": {"description": "Added", "schema": {"$ref": "#/components/schemas/Item"}},
                       "204": {"description": "Already there"}}},
        {"method": "GET", "path": "/v2/items", "summary": "Items",
         "query": {"type": "object", "required": ["q"], "properties": {"q": {"type": "string"}, "limit": {"type": "integer"}}},
         "responses": {"200": {"description": "Matches", "schema": {"$ref": "#/components/schemas/Items"}}}},
        {"method": "POST", "path": "/v2/items/{id}/recount", "callers": ["audit"]}
      ]
    })"));
    ASSERT_TRUE(std::holds_alternative<berth::host::pipeline::route_set>(compiled)) << std::get<std::string>(compiled);
    const auto doc = berth::host::contract::module_document(std::get<berth::host::pipeline::route_set>(compiled),
                                                            {"stock", "stock", "1.0.0"});
    const fs::path out = fs::path(BERTH_OPENAPI_OUT).parent_path() / "openapi-sample";
    fs::create_directories(out);
    std::ofstream(out / "stock.openapi.json") << berth::host::contract::document_text(doc);
    const auto merged = berth::host::contract::merged_document({{"stock", "http://127.0.0.1:8081", &doc}}, "0.0.0");
    std::ofstream(out / "merged.openapi.json") << berth::host::contract::document_text(merged);
    expect_lint_clean({out / "stock.openapi.json", out / "merged.openapi.json"});
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
    expect_lint_clean(files);
}

}  // namespace
}  // namespace berth::test
