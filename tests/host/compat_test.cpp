// The breaking-change gate's judgement on its own (contract/compat.hpp): each breaking kind is
// found with its pointer into the old operation, and each additive kind passes.
#include "contract/compat.hpp"

#include <gtest/gtest.h>

#include <string>

namespace berth::host::contract {
namespace {

using nlohmann::json;

// The active build's manifest: a create with a body, a list with a query, a read with auth.
json base() {
    return json::parse(R"({
      "routes": [
        {"method": "POST", "path": "/v1/items",
         "schema": {"type": "object", "required": ["name"],
                    "properties": {
                      "name": {"type": "string", "minLength": 1, "maxLength": 40},
                      "kind": {"type": "string", "enum": ["book", "disc"]},
                      "price": {"type": "number", "minimum": 0, "maximum": 100000},
                      "quantity": {"type": "integer"},
                      "tags": {"type": "array", "maxItems": 5, "items": {"type": "string"}},
                      "address": {"type": "object", "additionalProperties": false,
                                  "properties": {"zip": {"type": "string"}, "city": {"type": "string"}}}}},
         "responses": {"201": {"description": "Created", "schema": {"$ref": "#/components/schemas/Item"}},
                       "400": {"description": "Bad", "media_type": "application/problem+json",
                               "schema": {"$ref": "#/components/schemas/Problem"}}}},
        {"method": "GET", "path": "/v1/items",
         "query": {"type": "object", "properties": {"limit": {"type": "integer", "maximum": 100}}},
         "responses": {"200": {"description": "Items", "schema": {"type": "array", "items": {"$ref": "#/components/schemas/Item"}}}}},
        {"method": "GET", "path": "/v1/items/{id}", "auth": {"scopes": ["items:read"]},
         "responses": {"200": {"description": "One", "schema": {"$ref": "#/components/schemas/Item"}},
                       "404": {"description": "None", "media_type": "application/problem+json",
                               "schema": {"$ref": "#/components/schemas/Problem"}}}},
        {"method": "POST", "path": "/v1/items/{id}/archive", "callers": ["orders"],
         "responses": {"204": {"description": "Archived"}}}
      ],
      "components": {
        "Item": {"type": "object", "required": ["id", "name"],
                 "properties": {"id": {"type": "integer"}, "name": {"type": "string"},
                                "owner": {"type": "object", "properties": {"email": {"type": "string"}}}}}
      }
    })");
}

std::string listing(const std::vector<breaking_change>& changes) {
    std::string out;
    for (auto& c : changes) out += to_json(c).dump() + "\n";
    return out;
}

// Exactly one breaking change, of this kind, on this operation, at this pointer.
void expect_one(const json& next, const std::string& kind, const std::string& method, const std::string& path,
                const std::string& pointer, const json& old = base()) {
    auto changes = breaking_changes(old, next);
    ASSERT_EQ(changes.size(), 1u) << listing(changes);
    EXPECT_EQ(changes[0].kind, kind);
    EXPECT_EQ(changes[0].method, method);
    EXPECT_EQ(changes[0].path, path);
    EXPECT_EQ(changes[0].pointer, pointer);
    EXPECT_FALSE(changes[0].message.empty());
}

void expect_none(const json& next) {
    auto changes = breaking_changes(base(), next);
    EXPECT_TRUE(changes.empty()) << listing(changes);
}

json& create_body(json& m) { return m["routes"][0]["schema"]; }
json& property(json& m, const char* name) { return create_body(m)["properties"][name]; }
json& read_route(json& m) { return m["routes"][2]; }
// The read's 200 body, inlined so that one operation's response can change on its own.
json& read_body(json& m) {
    read_route(m)["responses"]["200"]["schema"] = m["components"]["Item"];
    return read_route(m)["responses"]["200"]["schema"];
}

// --- breaking: refused, with the pointer ---

TEST(Compat, AnOperationRemovedIsBreaking) {
    auto n = base();
    n["routes"].erase(1);
    expect_one(n, "operation_removed", "GET", "/v1/items", "");
}

TEST(Compat, ANewRequiredRequestFieldIsBreaking) {
    auto n = base();
    property(n, "note") = {{"type", "string"}};
    create_body(n)["required"].push_back("note");
    expect_one(n, "required_added", "POST", "/v1/items", "/request/properties/note");
}

TEST(Compat, ANewRequiredNestedFieldIsBreaking) {
    auto n = base();
    property(n, "address")["required"] = {"zip"};
    expect_one(n, "required_added", "POST", "/v1/items", "/request/properties/address/properties/zip");
}

TEST(Compat, ANewRequiredQueryParameterIsBreaking) {
    auto n = base();
    n["routes"][1]["query"]["properties"]["cursor"] = {{"type", "string"}};
    n["routes"][1]["query"]["required"] = {"cursor"};
    expect_one(n, "required_added", "GET", "/v1/items", "/query/properties/cursor");
}

TEST(Compat, ARequestBodyWhereThereWasNoneIsBreaking) {
    auto n = base();
    n["routes"][3]["schema"] = {{"type", "object"}};
    expect_one(n, "required_added", "POST", "/v1/items/{id}/archive", "/request");
}

TEST(Compat, AnOptionalRequestBodyWhereThereWasNoneIsNot) {
    auto n = base();
    n["routes"][3]["schema"] = {{"type", "object"}};
    n["routes"][3]["body_optional"] = true;  // route::optional_body: a request without one still works
    EXPECT_TRUE(breaking_changes(base(), n).empty()) << listing(breaking_changes(base(), n));
}

TEST(Compat, AnOptionalRequestBodyMadeRequiredIsBreaking) {
    auto old = base();
    old["routes"][0]["body_optional"] = true;
    expect_one(base(), "required_added", "POST", "/v1/items", "/request", old);
}

TEST(Compat, ARawBodyOfAnotherMediaTypeOrNoneIsBreaking) {
    auto old = base();
    old["routes"][3]["takes"] = "text/csv";
    auto other = old;
    other["routes"][3]["takes"] = "application/xml";
    auto changes = breaking_changes(old, other);
    ASSERT_EQ(changes.size(), 1u) << listing(changes);
    EXPECT_EQ(changes[0].kind, "type_narrowed");
    EXPECT_EQ(changes[0].pointer, "/request");
    auto none = old;
    none["routes"][3].erase("takes");
    changes = breaking_changes(old, none);
    ASSERT_EQ(changes.size(), 1u) << listing(changes);
    EXPECT_EQ(changes[0].kind, "request_body_removed");
    EXPECT_TRUE(breaking_changes(old, old).empty());
}

TEST(Compat, ARequestBodyNoLongerTakenIsBreaking) {
    auto n = base();
    n["routes"][0].erase("schema");
    expect_one(n, "request_body_removed", "POST", "/v1/items", "/request");
}

TEST(Compat, ARequestTypeNarrowedIsBreaking) {
    auto n = base();
    property(n, "price")["type"] = "integer";
    expect_one(n, "type_narrowed", "POST", "/v1/items", "/request/properties/price/type");
}

TEST(Compat, ATypeWhereAnyWasAcceptedIsBreaking) {
    auto o = base();
    o["routes"][1]["query"]["properties"]["limit"].erase("type");
    auto changes = breaking_changes(o, base());
    ASSERT_EQ(changes.size(), 1u) << listing(changes);
    EXPECT_EQ(changes[0].kind, "type_narrowed");
    EXPECT_EQ(changes[0].pointer, "/query/properties/limit/type");
}

TEST(Compat, AnEnumNarrowedIsBreaking) {
    auto n = base();
    property(n, "kind")["enum"] = {"book"};
    expect_one(n, "enum_narrowed", "POST", "/v1/items", "/request/properties/kind/enum");
}

TEST(Compat, AMaxLengthLoweredIsBreaking) {
    auto n = base();
    property(n, "name")["maxLength"] = 20;
    expect_one(n, "bound_tightened", "POST", "/v1/items", "/request/properties/name/maxLength");
}

TEST(Compat, AMinLengthRaisedIsBreaking) {
    auto n = base();
    property(n, "name")["minLength"] = 3;
    expect_one(n, "bound_tightened", "POST", "/v1/items", "/request/properties/name/minLength");
}

TEST(Compat, AMaximumLoweredIsBreaking) {
    auto n = base();
    n["routes"][1]["query"]["properties"]["limit"]["maximum"] = 50;
    expect_one(n, "bound_tightened", "GET", "/v1/items", "/query/properties/limit/maximum");
}

TEST(Compat, AMinimumRaisedIsBreaking) {
    auto n = base();
    property(n, "price")["minimum"] = 1;
    expect_one(n, "bound_tightened", "POST", "/v1/items", "/request/properties/price/minimum");
}

TEST(Compat, AMaxItemsLoweredIsBreaking) {
    auto n = base();
    property(n, "tags")["maxItems"] = 2;
    expect_one(n, "bound_tightened", "POST", "/v1/items", "/request/properties/tags/maxItems");
}

TEST(Compat, AMinItemsAddedIsBreaking) {
    auto n = base();
    property(n, "tags")["minItems"] = 1;
    expect_one(n, "bound_tightened", "POST", "/v1/items", "/request/properties/tags/minItems");
}

TEST(Compat, AnExclusiveMaximumAddedIsBreaking) {
    auto n = base();
    property(n, "price")["exclusiveMaximum"] = 100000;
    expect_one(n, "bound_tightened", "POST", "/v1/items", "/request/properties/price/exclusiveMaximum");
}

TEST(Compat, ANewPatternIsBreaking) {
    auto n = base();
    property(n, "name")["pattern"] = "^[a-z]+$";
    expect_one(n, "constraint_added", "POST", "/v1/items", "/request/properties/name/pattern");
}

TEST(Compat, ANewFormatIsBreaking) {
    auto n = base();
    property(n, "name")["format"] = "email";
    expect_one(n, "constraint_added", "POST", "/v1/items", "/request/properties/name/format");
}

TEST(Compat, ArrayItemsNarrowedAreBreaking) {
    auto n = base();
    property(n, "tags")["items"]["maxLength"] = 10;
    expect_one(n, "bound_tightened", "POST", "/v1/items", "/request/properties/tags/items/maxLength");
}

TEST(Compat, AdditionalPropertiesClosedIsBreaking) {
    auto n = base();
    create_body(n)["additionalProperties"] = false;
    expect_one(n, "additional_properties_closed", "POST", "/v1/items", "/request/additionalProperties");
}

TEST(Compat, AFieldDroppedFromAClosedObjectIsBreaking) {
    auto n = base();
    property(n, "address")["properties"].erase("city");
    expect_one(n, "request_field_removed", "POST", "/v1/items", "/request/properties/address/properties/city");
}

TEST(Compat, AResponseFieldRemovedIsBreaking) {
    auto n = base();
    read_body(n)["properties"].erase("name");
    expect_one(n, "response_field_removed", "GET", "/v1/items/{id}", "/responses/200/properties/name");
}

TEST(Compat, ANestedResponseFieldRemovedIsBreaking) {
    auto n = base();
    read_body(n)["properties"]["owner"]["properties"].erase("email");
    expect_one(n, "response_field_removed", "GET", "/v1/items/{id}", "/responses/200/properties/owner/properties/email");
}

TEST(Compat, AResponseFieldTypeChangedIsBreaking) {
    auto n = base();
    read_body(n)["properties"]["id"]["type"] = "string";
    expect_one(n, "response_type_changed", "GET", "/v1/items/{id}", "/responses/200/properties/id/type");
}

TEST(Compat, AResponseFieldNoLongerRequiredIsBreaking) {
    auto n = base();
    read_body(n)["required"] = {"id"};
    expect_one(n, "response_field_optional", "GET", "/v1/items/{id}", "/responses/200/properties/name");
}

TEST(Compat, AChangedComponentIsReportedAtEveryOperationUsingIt) {
    auto n = base();
    n["components"]["Item"]["properties"]["id"]["type"] = "string";
    auto changes = breaking_changes(base(), n);
    ASSERT_EQ(changes.size(), 3u) << listing(changes);
    EXPECT_EQ(changes[0].pointer, "/responses/201/properties/id/type");
    EXPECT_EQ(changes[1].pointer, "/responses/200/items/properties/id/type");
    EXPECT_EQ(changes[2].pointer, "/responses/200/properties/id/type");
}

TEST(Compat, ADeclaredSuccessStatusRemovedIsBreaking) {
    auto n = base();
    auto& responses = n["routes"][0]["responses"];
    responses["200"] = responses["201"];
    responses.erase("201");
    expect_one(n, "status_removed", "POST", "/v1/items", "/responses/201");
}

TEST(Compat, AuthAddedIsBreaking) {
    auto n = base();
    n["routes"][1]["auth"] = {{"scopes", json::array()}};
    expect_one(n, "auth_added", "GET", "/v1/items", "/auth");
}

TEST(Compat, AScopeAddedIsBreaking) {
    auto n = base();
    read_route(n)["auth"]["scopes"].push_back("items:audit");
    expect_one(n, "scope_added", "GET", "/v1/items/{id}", "/auth/scopes/1");
}

TEST(Compat, ACallerDroppedIsBreaking) {
    auto n = base();
    n["routes"][3]["callers"] = {"billing"};
    expect_one(n, "callers_restricted", "POST", "/v1/items/{id}/archive", "/callers/0");
}

TEST(Compat, ACompositionTheGateCannotProveIsRefused) {
    auto n = base();
    property(n, "name")["oneOf"] = json::array({{{"maxLength", 5}}, {{"minLength", 10}}});
    expect_one(n, "unverifiable", "POST", "/v1/items", "/request/properties/name/oneOf");
}

TEST(Compat, BelowTheDepthBoundAnyDifferenceIsUnverifiable) {
    json o = {{"type", "string"}}, n = {{"type", "string"}, {"maxLength", 3}};
    std::string pointer = "/request";
    for (int i = 0; i < 40; ++i) {
        o = {{"type", "object"}, {"properties", {{"a", o}}}};
        n = {{"type", "object"}, {"properties", {{"a", n}}}};
    }
    for (int i = 0; i < 33; ++i) pointer += "/properties/a";
    auto old_m = base(), new_m = base();
    old_m["routes"][0]["schema"] = o;
    new_m["routes"][0]["schema"] = n;
    auto changes = breaking_changes(old_m, new_m);
    ASSERT_EQ(changes.size(), 1u) << listing(changes);
    EXPECT_EQ(changes[0].kind, "unverifiable");
    EXPECT_EQ(changes[0].pointer, pointer);
}

TEST(Compat, EveryBreakingChangeIsListed) {
    auto n = base();
    property(n, "name")["maxLength"] = 20;
    read_route(n)["auth"]["scopes"].push_back("items:audit");
    n["routes"].erase(1);
    auto changes = breaking_changes(base(), n);
    ASSERT_EQ(changes.size(), 3u) << listing(changes);
    EXPECT_EQ(changes[0].kind, "bound_tightened");
    EXPECT_EQ(changes[1].kind, "operation_removed");
    EXPECT_EQ(changes[2].kind, "scope_added");
}

TEST(Compat, PointersEscapePropertyNames) {
    auto n = base();
    property(n, "a/b~c") = {{"type", "string"}};
    create_body(n)["required"].push_back("a/b~c");
    expect_one(n, "required_added", "POST", "/v1/items", "/request/properties/a~1b~0c");
}

// --- majors ---

TEST(Compat, AMajorTheNewBuildDropsIsNotCompared) {
    auto n = json::parse(R"({"routes": [{"method": "GET", "path": "/v2/things"}]})");
    expect_none(n);
}

TEST(Compat, EachMajorBothServeIsCompared) {
    auto o = base(), n = base();
    o["routes"].push_back({{"method", "GET"}, {"path", "/v2/things"}});
    n["routes"][1]["path"] = "/v2/items";  // the v1 list is gone from v1 while v1 is still served
    n["routes"].push_back({{"method", "GET"}, {"path", "/v2/things"}});
    auto changes = breaking_changes(o, n);
    ASSERT_EQ(changes.size(), 1u) << listing(changes);
    EXPECT_EQ(changes[0].kind, "operation_removed");
    EXPECT_EQ(changes[0].path, "/v1/items");
}

// --- additive: passes ---

TEST(Compat, TheSameContractPasses) { expect_none(base()); }

TEST(Compat, ANewOperationPasses) {
    auto n = base();
    n["routes"].push_back({{"method", "DELETE"}, {"path", "/v1/items/{id}"}});
    expect_none(n);
}

TEST(Compat, ANewOptionalFieldPasses) {
    auto n = base();
    property(n, "note") = {{"type", "string"}, {"maxLength", 200}};
    expect_none(n);
}

TEST(Compat, ANewOptionalQueryParameterPasses) {
    auto n = base();
    n["routes"][1]["query"]["properties"]["cursor"] = {{"type", "string"}};
    expect_none(n);
}

TEST(Compat, WidenedBoundsPass) {
    auto n = base();
    property(n, "name")["maxLength"] = 80;
    property(n, "name").erase("minLength");
    property(n, "price")["minimum"] = -10;
    property(n, "tags").erase("maxItems");
    n["routes"][1]["query"]["properties"]["limit"]["maximum"] = 500;
    expect_none(n);
}

TEST(Compat, AWidenedEnumPasses) {
    auto n = base();
    property(n, "kind")["enum"].push_back("game");
    expect_none(n);
}

TEST(Compat, AWidenedRequestTypePasses) {
    auto n = base();
    property(n, "quantity")["type"] = "number";
    property(n, "name")["type"] = {"string", "null"};
    expect_none(n);
}

TEST(Compat, ARemovedPatternFormatOrRequirementPasses) {
    auto o = base();
    property(o, "name")["pattern"] = "^[a-z]+$";
    property(o, "name")["format"] = "email";
    auto n = base();
    create_body(n)["required"] = json::array();
    auto changes = breaking_changes(o, n);
    EXPECT_TRUE(changes.empty()) << listing(changes);
}

TEST(Compat, ANewResponseFieldPasses) {
    auto n = base();
    n["components"]["Item"]["properties"]["created_at"] = {{"type", "string"}};
    n["components"]["Item"]["required"].push_back("created_at");
    expect_none(n);
}

TEST(Compat, ANarrowerResponseTypePasses) {
    auto o = base();
    o["components"]["Item"]["properties"]["id"]["type"] = "number";
    auto changes = breaking_changes(o, base());
    EXPECT_TRUE(changes.empty()) << listing(changes);
}

TEST(Compat, ANewStatusPasses) {
    auto n = base();
    n["routes"][0]["responses"]["202"] = {{"description", "Accepted"}};
    n["routes"][0]["responses"]["409"] = {{"description", "Conflict"}};
    expect_none(n);
}

TEST(Compat, AnErrorStatusRemovedPasses) {
    auto n = base();
    read_route(n)["responses"].erase("404");
    expect_none(n);
}

TEST(Compat, AuthOrAScopeRemovedPasses) {
    auto n = base();
    read_route(n)["auth"]["scopes"] = json::array();
    n["routes"][3].erase("callers");
    expect_none(n);
}

TEST(Compat, ARenamedPathParameterIsTheSameOperation) {
    auto n = base();
    read_route(n)["path"] = "/v1/items/{item_id}";
    expect_none(n);
}

TEST(Compat, AComponentInlinedIsTheSameContract) {
    auto n = base();
    read_body(n);
    expect_none(n);
}

}  // namespace
}  // namespace berth::host::contract
