// OpenAPI 3.1 from the declarations: what the documents say (from manifests), and where the
// host serves them (a module's port, the admin listener), over real HTTP.
#include "contract/openapi.hpp"
#include "pipeline/route_contract.hpp"

#include "support/http_client.hpp"
#include "support/test_host.hpp"

#include <gtest/gtest.h>

#include <map>
#include <set>

namespace berth::test {
namespace {

using nlohmann::json;
namespace contract = berth::host::contract;
namespace pipeline = berth::host::pipeline;

// A shop-like manifest with one of everything a document shows.
json sample_manifest() {
    return json::parse(R"({
      "info": {"title": "Stock", "description": "Counts what is on the shelves."},
      "components": {"Item": {"type": "object", "properties": {"id": {"type": "integer"}, "name": {"type": "string"}}}},
      "majors": {"1": {"deprecated": true, "since": "2026-01-01", "sunset": "2027-01-01"}},
      "routes": [
        {"method": "GET", "path": "/v1/items/{id}", "summary": "One item",
         "responses": {"200": {"description": "The item", "schema": {"$ref": "#/components/schemas/Item"}}}},
        {"method": "POST", "path": "/v2/items", "operation_id": "addItem", "tags": ["catalog"],
         "auth": {"scopes": ["stock:write"]},
         "schema": {"type": "object", "required": ["name"], "properties": {"name": {"type": "string"}}},
         "responses": {"201": {"description": "Added", "schema": {"$ref": "#/components/schemas/Item"}},
                       "409": {"description": "Taken", "media_type": "application/problem+json",
                               "schema": {"$ref": "#/components/schemas/Problem"}}}},
        {"method": "GET", "path": "/v2/items", "query": {"type": "object", "required": ["q"],
         "properties": {"q": {"type": "string"}, "limit": {"type": "integer"}}}},
        {"method": "GET", "path": "/v2/internal/recount", "callers": ["audit"]}
      ]
    })");
}

json document_of(const json& manifest, const std::string& module = "stock") {
    auto compiled = pipeline::compile_routes(manifest);
    if (auto* wrong = std::get_if<std::string>(&compiled)) throw std::runtime_error(*wrong);
    return contract::module_document(std::get<pipeline::route_set>(compiled), {module, "stock_plugin", "1.4.2"});
}

TEST(OpenApiDocument, IsOpenApi31WithInfoFromTheManifestAndThePluginVersion) {
    auto doc = document_of(sample_manifest());
    EXPECT_EQ(doc["openapi"], "3.1.0");
    EXPECT_EQ(doc["info"]["title"], "Stock");
    EXPECT_EQ(doc["info"]["description"], "Counts what is on the shelves.");
    EXPECT_EQ(doc["info"]["version"], "1.4.2");
    EXPECT_EQ(doc["servers"][0]["url"], "/");
}

TEST(OpenApiDocument, WithoutInfoTheTitleIsTheModuleName) {
    auto doc = document_of(json::parse(R"({"routes": [{"method": "GET", "path": "/v1/ping"}]})"), "pinger");
    EXPECT_EQ(doc["info"]["title"], "pinger");
}

TEST(OpenApiDocument, RoutesLimitedToInProcessCallersAreNotPublished) {
    auto doc = document_of(sample_manifest());
    EXPECT_TRUE(doc["paths"].contains("/v2/items"));
    EXPECT_FALSE(doc["paths"].contains("/v2/internal/recount"));
}

TEST(OpenApiDocument, PathParametersAreRequiredStrings) {
    auto params = document_of(sample_manifest())["paths"]["/v1/items/{id}"]["get"]["parameters"];
    ASSERT_EQ(params.size(), 1u);
    EXPECT_EQ(params[0], json::parse(R"({"name": "id", "in": "path", "required": true, "schema": {"type": "string"}})"));
}

TEST(OpenApiDocument, QueryParametersComeFromTheQuerySchemaWithItsRequired) {
    auto params = document_of(sample_manifest())["paths"]["/v2/items"]["get"]["parameters"];
    ASSERT_EQ(params.size(), 2u);
    std::map<std::string, json> by_name;
    for (auto& p : params) by_name[p["name"]] = p;
    EXPECT_EQ(by_name["q"]["in"], "query");
    EXPECT_EQ(by_name["q"]["required"], true);
    EXPECT_EQ(by_name["limit"]["required"], false);
    EXPECT_EQ(by_name["limit"]["schema"]["type"], "integer");
}

TEST(OpenApiDocument, RequestBodyIsOfferedAsJsonAndMessagePack) {
    auto body = document_of(sample_manifest())["paths"]["/v2/items"]["post"]["requestBody"];
    EXPECT_EQ(body["required"], true);
    EXPECT_EQ(body["content"]["application/json"]["schema"]["required"], json::array({"name"}));
    EXPECT_EQ(body["content"]["application/msgpack"], body["content"]["application/json"]);
}

TEST(OpenApiDocument, DeclaredResponsesKeepTheirReferencesAndMediaTypes) {
    auto responses = document_of(sample_manifest())["paths"]["/v2/items"]["post"]["responses"];
    EXPECT_EQ(responses["201"]["description"], "Added");
    EXPECT_EQ(responses["201"]["content"]["application/json"]["schema"]["$ref"], "#/components/schemas/Item");
    EXPECT_TRUE(responses["201"]["content"].contains("application/msgpack"));
    EXPECT_EQ(responses["409"]["content"]["application/problem+json"]["schema"]["$ref"], "#/components/schemas/Problem");
    EXPECT_FALSE(responses["409"]["content"].contains("application/json"));
}

TEST(OpenApiDocument, TheHostsOwnAnswersAreListedAsProblems) {
    auto doc = document_of(sample_manifest());
    auto post = doc["paths"]["/v2/items"]["post"]["responses"];
    for (const char* status : {"400", "401", "403", "404", "406", "415", "500", "503"}) {
        SCOPED_TRACE(status);
        EXPECT_EQ(post[status]["content"]["application/problem+json"]["schema"]["$ref"], "#/components/schemas/Problem");
    }
    // No body, no query, no auth: no 401, 403 or 415 to expect; a 400 still, for a body sent
    // to an operation that takes none.
    auto get = doc["paths"]["/v1/items/{id}"]["get"]["responses"];
    for (const char* status : {"401", "403", "415"}) EXPECT_FALSE(get.contains(status)) << status;
    EXPECT_TRUE(get.contains("400"));
    EXPECT_TRUE(get.contains("503"));
}

TEST(OpenApiDocument, AuthRoutesNeedTheBearerSchemeWithTheirScopes) {
    auto doc = document_of(sample_manifest());
    EXPECT_EQ(doc["paths"]["/v2/items"]["post"]["security"], json::parse(R"([{"bearer": ["stock:write"]}])"));
    EXPECT_EQ(doc["paths"]["/v2/items"]["get"]["security"], json::array());
    EXPECT_EQ(doc["components"]["securitySchemes"]["bearer"],
              json::parse(R"({"type": "http", "scheme": "bearer", "bearerFormat": "JWT", "description": "A JWT issued by this host"})"));
}

TEST(OpenApiDocument, OperationIdsAreDeclaredOrDerivedAndUnique) {
    auto doc = document_of(json::parse(R"({"routes": [
        {"method": "GET", "path": "/v1/items/{id}/price"},
        {"method": "POST", "path": "/v1/items", "operation_id": "getV1ItemsByIdPrice"},
        {"method": "GET", "path": "/v1/items", "operation_id": "listItems"}]})"));
    EXPECT_EQ(doc["paths"]["/v1/items"]["post"]["operationId"], "getV1ItemsByIdPrice");  // declared wins
    EXPECT_EQ(doc["paths"]["/v1/items/{id}/price"]["get"]["operationId"], "getV1ItemsByIdPrice_2");
    EXPECT_EQ(doc["paths"]["/v1/items"]["get"]["operationId"], "listItems");
}

TEST(OpenApiDocument, TagsAreTheModuleAndTheDeclaredOnesAllDescribed) {
    auto doc = document_of(sample_manifest());
    EXPECT_EQ(doc["paths"]["/v2/items"]["post"]["tags"], json::array({"stock", "catalog"}));
    EXPECT_EQ(doc["paths"]["/v2/items"]["get"]["tags"], json::array({"stock"}));
    ASSERT_EQ(doc["tags"].size(), 2u);
    EXPECT_EQ(doc["tags"][0]["name"], "stock");
    EXPECT_EQ(doc["tags"][1]["name"], "catalog");
    for (auto& t : doc["tags"]) EXPECT_TRUE(t["description"].is_string());
}

TEST(OpenApiDocument, OperationsOfADeprecatedMajorAreDeprecatedWithTheirSunset) {
    auto doc = document_of(sample_manifest());
    auto v1 = doc["paths"]["/v1/items/{id}"]["get"];
    EXPECT_EQ(v1["deprecated"], true);
    EXPECT_NE(v1["description"].get<std::string>().find("2027-01-01"), std::string::npos);
    EXPECT_FALSE(doc["paths"]["/v2/items"]["get"].contains("deprecated"));
}

TEST(OpenApiDocument, ComponentsAreTheManifestsPlusTheHostsProblem) {
    auto schemas = document_of(sample_manifest())["components"]["schemas"];
    EXPECT_TRUE(schemas.contains("Item"));
    EXPECT_TRUE(schemas.contains("Problem"));
    EXPECT_EQ(schemas.size(), 2u);
}

TEST(OpenApiMerged, PrefixesIdsAndComponentsWithTheModuleAndPutsPathsUnderTheirServer) {
    auto stock = document_of(sample_manifest(), "stock");
    auto pinger = document_of(json::parse(R"({"routes": [{"method": "GET", "path": "/v1/items/{id}", "operation_id": "ping"}]})"), "pinger");
    auto merged = contract::merged_document({{"stock", "http://127.0.0.1:9001", &stock}, {"pinger", "http://127.0.0.1:9002", &pinger}}, "0.9.0");
    EXPECT_EQ(merged["info"]["version"], "0.9.0");
    auto item = merged["paths"]["/v2/items"];
    EXPECT_EQ(item["servers"][0]["url"], "http://127.0.0.1:9001");
    EXPECT_EQ(item["post"]["operationId"], "stock.addItem");
    EXPECT_EQ(item["post"]["responses"]["201"]["content"]["application/json"]["schema"]["$ref"], "#/components/schemas/stock.Item");
    EXPECT_EQ(item["post"]["responses"]["409"]["content"]["application/problem+json"]["schema"]["$ref"], "#/components/schemas/Problem");
    EXPECT_TRUE(merged["components"]["schemas"].contains("stock.Item"));
    EXPECT_FALSE(merged["components"]["schemas"].contains("Item"));
    std::set<std::string> tags;
    for (auto& t : merged["tags"]) tags.insert(t["name"]);
    EXPECT_EQ(tags, (std::set<std::string>{"stock", "catalog", "pinger"}));
}

TEST(OpenApiMerged, APathTwoModulesShareGetsServersPerOperation) {
    auto a = document_of(json::parse(R"({"routes": [{"method": "GET", "path": "/v1/items"}]})"), "a");
    auto b = document_of(json::parse(R"({"routes": [{"method": "POST", "path": "/v1/items"}]})"), "b");
    auto item = contract::merged_document({{"a", "http://h:1", &a}, {"b", "http://h:2", &b}}, "1")["paths"]["/v1/items"];
    EXPECT_FALSE(item.contains("servers"));
    EXPECT_EQ(item["get"]["servers"][0]["url"], "http://h:1");
    EXPECT_EQ(item["post"]["servers"][0]["url"], "http://h:2");
}

TEST(OpenApiMerged, AWildcardBindAddressTakesTheValidatedHostName) {
    EXPECT_EQ(contract::server_url("127.0.0.1", 8081, "localhost"), "http://127.0.0.1:8081");
    EXPECT_EQ(contract::server_url("0.0.0.0", 8081, "shop.example"), "http://shop.example:8081");
    EXPECT_EQ(contract::server_url("::", 8081, "[::1]"), "http://[::1]:8081");
    EXPECT_EQ(contract::server_url("::1", 8081, "localhost"), "http://[::1]:8081");
}

// --- served, over real HTTP ---

class OpenApiServed : public ::testing::Test {
protected:
    static void SetUpTestSuite() {
        host_ = new test_host({{"probe", test_plugin("contract_probe")}, {"greeter", shipped_plugin("greeter")}});
    }
    static void TearDownTestSuite() {
        delete host_;
        host_ = nullptr;
    }
    static test_host* host_;
};
test_host* OpenApiServed::host_ = nullptr;

TEST_F(OpenApiServed, AModulesPortAnswersItsDocumentAsJson) {
    auto r = http_request(host_->port("probe"), "GET", "/openapi.json");
    ASSERT_EQ(r.status, 200) << r.body;
    EXPECT_EQ(r.header("Content-Type"), "application/json");
    auto doc = r.json();
    EXPECT_EQ(doc["openapi"], "3.1.0");
    EXPECT_EQ(doc["info"]["version"], "2.3.4");
    EXPECT_TRUE(doc["paths"]["/v1/items"]["post"]["requestBody"]["content"].contains("application/json"));
    EXPECT_FALSE(doc["paths"].contains("/v1/whoami"));  // callers: in-process only
}

TEST_F(OpenApiServed, TheTextListsOpenApiFirstAsTheSpecificationDoes) {
    for (auto port : {host_->port("probe"), host_->admin_port()}) {
        auto body = http_request(port, "GET", "/openapi.json").body;
        EXPECT_EQ(body.rfind(R"({"openapi":"3.1.0","info":{)", 0), 0u) << body.substr(0, 80);
    }
}

TEST_F(OpenApiServed, HeadAnswersWithoutABody) {
    for (auto port : {host_->port("probe"), host_->admin_port()}) {
        auto r = http_request(port, "HEAD", "/openapi.json");
        EXPECT_EQ(r.status, 200);
        EXPECT_EQ(r.header("Content-Type"), "application/json");
        EXPECT_TRUE(r.body.empty());
    }
}

TEST_F(OpenApiServed, OtherMethodsAre405WithAllow) {
    auto r = http_request(host_->port("probe"), "POST", "/openapi.json", "{}", {{"Content-Type", "application/json"}});
    EXPECT_EQ(r.status, 405);
    EXPECT_EQ(r.header("Allow"), "GET, HEAD");
}

TEST_F(OpenApiServed, TheDocumentShowsNothingInternal) {
    auto module_doc = http_request(host_->port("probe"), "GET", "/openapi.json");
    auto admin_doc = http_request(host_->admin_port(), "GET", "/openapi.json");
    ASSERT_EQ(module_doc.status, 200);
    ASSERT_EQ(admin_doc.status, 200);
    ASSERT_FALSE(module_doc.json()["paths"].empty());
    ASSERT_FALSE(admin_doc.json()["paths"].empty());
    for (auto* body : {&module_doc.body, &admin_doc.body}) {
        EXPECT_EQ(body->find(".so"), std::string::npos);
        EXPECT_EQ(body->find(host_->data_dir().string()), std::string::npos);
        EXPECT_EQ(body->find(BERTH_TEST_PLUGIN_DIR), std::string::npos);
    }
}

TEST_F(OpenApiServed, TheAdminListenerAnswersTheMergedDocumentWithoutItsToken) {
    auto r = http_request(host_->admin_port(), "GET", "/openapi.json");
    ASSERT_EQ(r.status, 200) << r.body;
    auto doc = r.json();
    auto item = doc["paths"]["/v1/items"];
    EXPECT_EQ(item["servers"][0]["url"], "http://127.0.0.1:" + std::to_string(host_->port("probe")));
    EXPECT_EQ(item["post"]["operationId"], "probe.postV1Items");
    std::set<std::string> tags;
    for (auto& t : doc["tags"]) tags.insert(t["name"]);
    EXPECT_TRUE(tags.count("probe") && tags.count("greeter"));
}

TEST_F(OpenApiServed, EverythingElseOnTheAdminListenerStaysClosed) {
    EXPECT_EQ(http_request(host_->admin_port(), "GET", "/modules").status, 401);
    EXPECT_EQ(http_request(host_->admin_port(), "POST", "/openapi.json", "{}", {{"Content-Type", "application/json"}}).status, 401);
}

TEST_F(OpenApiServed, TheAdminDocumentRefusesAnUnknownHost) {
    auto r = http_request(host_->admin_port(), "GET", "/openapi.json", {}, {{"Host", "evil.example"}});
    EXPECT_EQ(r.status, 421);
}

}  // namespace
}  // namespace berth::test
