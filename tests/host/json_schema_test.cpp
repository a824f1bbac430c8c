// The contract validator on its own: patterns and formats in linear time at every schema
// position, size limits checked before contents, and a bounded error list.
#include "contract/json_schema.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <stdexcept>
#include <string>

using berth::host::contract::json_schema;
using berth::host::contract::violation;
using nlohmann::json;

namespace {

const char* const email_pattern = "^[^@\\s]+@[^@\\s]+\\.[^@\\s]+$";

std::vector<violation> check(const json& schema, const json& doc) { return json_schema::compile(schema)->validate(doc); }

json email_schema() { return {{"type", "string"}, {"pattern", email_pattern}}; }

std::string long_local_part(std::size_t n) { return std::string(n, 'a'); }

}  // namespace

TEST(JsonSchema, FortyKilobyteStringAgainstAnEmailPatternIsRefusedWithoutCrashing) {
    auto errors = check(email_schema(), long_local_part(40000));
    ASSERT_EQ(errors.size(), 1u);
    EXPECT_EQ(errors[0].pointer, "");
    EXPECT_EQ(errors[0].message, "does not match the required pattern (pattern)");
}

TEST(JsonSchema, OneMebibyteStringMatchingAnEmailPatternIsAccepted) {
    EXPECT_TRUE(check(email_schema(), long_local_part(1 << 20) + "@example.com").empty());
}

TEST(JsonSchema, OneMebibyteStringNotMatchingAnEmailPatternIsRefused) {
    auto errors = check(email_schema(), long_local_part(1 << 20) + "@example");
    ASSERT_EQ(errors.size(), 1u);
    EXPECT_EQ(errors[0].message, "does not match the required pattern (pattern)");
}

TEST(JsonSchema, PatternIsAnUnanchoredSearch) {
    json schema = {{"pattern", "b+"}};
    EXPECT_TRUE(check(schema, "abbbc").empty());
    EXPECT_EQ(check(schema, "acd").size(), 1u);
}

TEST(JsonSchema, PatternsAreCheckedAtEveryNestedPosition) {
    const json digits = {{"type", "string"}, {"pattern", "^[0-9]+$"}};
    struct row {
        const char* name;
        json schema;
        json good;
        json bad;
        const char* pointer;
    };
    const row rows[] = {
        {"properties", {{"properties", {{"a", digits}}}}, {{"a", "12"}}, {{"a", "x"}}, "/a"},
        {"items", {{"items", digits}}, json::array({"1", "2"}), json::array({"1", "x"}), "/1"},
        {"anyOf", {{"anyOf", json::array({digits, {{"type", "integer"}}})}}, "42", "x", ""},
        {"$ref to definitions",
         {{"definitions", {{"d", digits}}}, {"properties", {{"a", {{"$ref", "#/definitions/d"}}}}}},
         {{"a", "7"}},
         {{"a", "seven"}},
         "/a"},
        {"additionalProperties", {{"additionalProperties", digits}}, {{"k", "1"}}, {{"k", "one"}}, "/k"},
        {"propertyNames", {{"propertyNames", {{"pattern", "^[a-z]+$"}}}}, {{"abc", 1}}, {{"ABC", 1}}, ""},
        {"a property named pattern", {{"properties", {{"pattern", digits}}}}, {{"pattern", "9"}}, {{"pattern", "x"}},
         "/pattern"},
    };
    for (const auto& r : rows) {
        SCOPED_TRACE(r.name);
        auto schema = json_schema::compile(r.schema);
        EXPECT_TRUE(schema->validate(r.good).empty());
        auto errors = schema->validate(r.bad);
        ASSERT_FALSE(errors.empty());
        bool found = false;
        for (auto& e : errors) found = found || e.pointer == r.pointer;
        EXPECT_TRUE(found) << errors[0].pointer << ": " << errors[0].message;
    }
}

TEST(JsonSchema, FormatsAcceptValidAndRefuseInvalidValues) {
    struct row {
        const char* format;
        const char* value;
        bool valid;
    };
    const row rows[] = {
        {"date", "2024-02-29", true},
        {"date", "2023-02-29", false},
        {"date", "2024-13-01", false},
        {"date", "2024-04-31", false},
        {"date", "2024-4-01", false},
        {"time", "23:59:60Z", true},
        {"time", "12:30:00.125+02:00", true},
        {"time", "24:00:00Z", false},
        {"time", "12:60:00Z", false},
        {"time", "12:30:00", false},
        {"date-time", "2026-11-28T03:36:26Z", true},
        {"date-time", "2026-11-28t03:36:26.5-05:30", true},
        {"date-time", "2026-11-28 03:36:26Z", false},
        {"date-time", "2026-02-30T00:00:00Z", false},
        {"date-time", "2026-11-28T03:36:26+24:00", false},
        {"email", "someone@example.com", true},
        {"email", "someone@example", false},
        {"email", "some one@example.com", false},
        {"email", "a@b@example.com", false},
    };
    for (const auto& r : rows) {
        SCOPED_TRACE(std::string(r.format) + " " + r.value);
        auto errors = check({{"format", r.format}}, r.value);
        if (r.valid) {
            EXPECT_TRUE(errors.empty());
        } else {
            ASSERT_EQ(errors.size(), 1u);
            EXPECT_EQ(errors[0].message, std::string("is not a valid ") + r.format + " (format)");
        }
    }
}

TEST(JsonSchema, UnknownFormatIsAnAnnotation) { EXPECT_TRUE(check({{"format", "hostname"}}, "not a host!").empty()); }

TEST(JsonSchema, FormatOnALongStringIsRefusedWithoutCrashing) {
    auto errors = check({{"format", "date-time"}}, std::string(1 << 20, '9'));
    ASSERT_EQ(errors.size(), 1u);
    EXPECT_EQ(errors[0].message, "is not a valid date-time (format)");
}

TEST(JsonSchema, PatternPropertiesAreRefusedAtCompile) {
    try {
        json_schema::compile({{"patternProperties", {{"^x-", {{"type", "string"}}}}}});
        FAIL() << "compiled";
    } catch (const std::invalid_argument& e) {
        EXPECT_NE(std::string(e.what()).find("patternProperties"), std::string::npos) << e.what();
    }
}

TEST(JsonSchema, PatternThatRe2CannotCompileIsRefusedNamingIt) {
    for (const char* p : {"^(a)\\1$", "^(?=a)a$", "^(?!b).*$"}) {
        SCOPED_TRACE(p);
        try {
            json_schema::compile({{"properties", {{"a", {{"pattern", p}}}}}});
            FAIL() << "compiled";
        } catch (const std::invalid_argument& e) {
            EXPECT_NE(std::string(e.what()).find(p), std::string::npos) << e.what();
        }
    }
}

TEST(JsonSchema, ReservedKeywordIsRefusedAtCompile) {
    EXPECT_THROW(json_schema::compile({{"x-berth-pattern", 0}}), std::invalid_argument);
}

TEST(JsonSchema, FourHundredThousandInvalidItemsYieldOnlyTheMaxItemsError) {
    json schema = {{"type", "object"},
                   {"properties",
                    {{"items", {{"type", "array"}, {"maxItems", 50}, {"items", {{"type", "object"}}}}}}}};
    json doc = {{"items", json::array()}};
    for (int i = 0; i < 400000; ++i) doc["items"].push_back(i);
    auto errors = check(schema, doc);
    ASSERT_EQ(errors.size(), 1u);
    EXPECT_EQ(errors[0].pointer, "/items");
    EXPECT_EQ(errors[0].message, "must have at most 50 items (maxItems)");
}

TEST(JsonSchema, OverlongStringYieldsOnlyTheMaxLengthError) {
    json schema = {{"type", "string"}, {"maxLength", 64}, {"pattern", "^[a-z]+$"}, {"format", "email"}};
    auto errors = check(schema, std::string(40000, '!'));
    ASSERT_EQ(errors.size(), 1u);
    EXPECT_EQ(errors[0].message, "must have at most 64 characters (maxLength)");
}

TEST(JsonSchema, MaxLengthCountsCodePointsOverTheWholeString) {
    auto schema = json_schema::compile({{"maxLength", 3}});
    EXPECT_TRUE(schema->validate("\u00e9\u00e9\u00e9").empty());
    EXPECT_EQ(schema->validate("\u00e9\u00e9\u00e9\u00e9").size(), 1u);
    // Valijson's own counter stopped at the first NUL.
    auto errors = schema->validate(std::string("a\0", 2) + std::string(100000, 'b'));
    ASSERT_EQ(errors.size(), 1u);
    EXPECT_EQ(errors[0].message, "must have at most 3 characters (maxLength)");
}

TEST(JsonSchema, TooManyPropertiesYieldOnlyTheMaxPropertiesError) {
    json schema = {{"maxProperties", 2}, {"additionalProperties", false}};
    auto errors = check(schema, {{"a", 1}, {"b", 2}, {"c", 3}});
    ASSERT_EQ(errors.size(), 1u);
    EXPECT_EQ(errors[0].message, "must have at most 2 properties (maxProperties)");
}

TEST(JsonSchema, WithinTheLimitsTheContentsAreStillChecked) {
    json schema = {{"type", "array"}, {"maxItems", 3}, {"items", {{"type", "string"}, {"maxLength", 2}}}};
    auto errors = check(schema, json::array({"ok", 5, "toolong"}));
    ASSERT_EQ(errors.size(), 2u);
    EXPECT_EQ(errors[0].pointer, "/1");
    EXPECT_EQ(errors[0].message, "has the wrong type (type)");
    EXPECT_EQ(errors[1].pointer, "/2");
    EXPECT_EQ(errors[1].message, "must have at most 2 characters (maxLength)");
}

TEST(JsonSchema, ErrorsStopAtFifty) {
    json doc = json::array();
    for (int i = 0; i < 400000; ++i) doc.push_back(i);
    auto errors = check({{"items", {{"type", "string"}}}}, doc);
    EXPECT_EQ(errors.size(), 50u);
    EXPECT_EQ(errors[0].pointer, "/0");
    EXPECT_EQ(errors[0].message, "has the wrong type (type)");
}

TEST(JsonSchema, ManyUnknownPropertiesYieldOneErrorNamingTheFirst) {
    json doc = json::object();
    for (int i = 0; i < 100000; ++i) doc["p" + std::to_string(i)] = i;
    auto errors = check({{"properties", {{"a", {{"type", "integer"}}}}}, {"additionalProperties", false}}, doc);
    ASSERT_EQ(errors.size(), 1u);
    EXPECT_EQ(errors[0].pointer, "/p0");
    EXPECT_EQ(errors[0].message, "unknown property 'p0'");
}

TEST(JsonSchema, AnUnknownPropertyWithAHugeNameIsQuotedShortButPointedToInFull) {
    const std::string name(40000, 'k');
    auto errors = check({{"additionalProperties", false}}, {{name, 1}});
    ASSERT_EQ(errors.size(), 1u);
    EXPECT_EQ(errors[0].pointer, "/" + name);
    EXPECT_EQ(errors[0].message, "unknown property '" + std::string(64, 'k') + "...'");
}

TEST(JsonSchema, HumanisedMessagesAreKept) {
    json schema = {{"type", "object"},
                   {"additionalProperties", false},
                   {"required", json::array({"name"})},
                   {"properties", {{"name", {{"type", "string"}}}, {"port", {{"maximum", 65535}}}}}};
    auto errors = check(schema, {{"port", 70000}, {"x", 1}});
    std::set<std::pair<std::string, std::string>> got;
    for (auto& e : errors) got.emplace(e.pointer, e.message);
    EXPECT_TRUE(got.count({"", "missing required property 'name'"}));
    EXPECT_TRUE(got.count({"/x", "unknown property 'x'"}));
    EXPECT_TRUE(got.count({"/port", "must be at most 65535 (maximum)"}));
    EXPECT_EQ(errors.size(), 3u);
}

TEST(JsonSchema, UniqueItemsWithoutASmallMaxItemsIsRefusedAtCompile) {
    EXPECT_THROW(json_schema::compile({{"uniqueItems", true}}), std::invalid_argument);
    EXPECT_NO_THROW(json_schema::compile({{"uniqueItems", true}, {"maxItems", 100}}));
}
