// The generated ISO 4217 list: the codes a shop uses are in, made-up ones are not.
#include "iso4217.hpp"

#include <gtest/gtest.h>

#include <algorithm>

namespace {

bool listed(const std::string& code) {
    const auto& codes = berth::shop::iso4217_codes();
    return std::find(codes.begin(), codes.end(), code) != codes.end();
}

TEST(Iso4217, ListsEuroDollarAndYen) {
    EXPECT_TRUE(listed("EUR"));
    EXPECT_TRUE(listed("USD"));
    EXPECT_TRUE(listed("JPY"));
}

TEST(Iso4217, DoesNotListAMadeUpCode) {
    EXPECT_FALSE(listed("XYZ"));
    EXPECT_FALSE(listed("eur"));  // codes are upper case; the schema's enum does not fold case
}

TEST(Iso4217, LeavesOutCodesThatAreNotMoneyAShopTakes) {
    for (const char* code : {"XXX", "XTS", "XAU", "XAG", "XPD", "XPT", "XBA", "XDR", "XSU", "XUA"}) EXPECT_FALSE(listed(code)) << code;
    for (const char* code : {"XAF", "XCD", "XOF", "XPF"}) EXPECT_TRUE(listed(code)) << code;
}

TEST(Iso4217, ListsMoreThan150Codes) { EXPECT_GT(berth::shop::iso4217_codes().size(), 150u); }

TEST(Iso4217, SchemaIsAnEnumOfTheCodes) {
    const auto schema = berth::shop::iso4217_schema();
    EXPECT_EQ(schema["type"], "string");
    ASSERT_TRUE(schema["enum"].is_array());
    EXPECT_EQ(schema["enum"].size(), berth::shop::iso4217_codes().size());
    EXPECT_TRUE(std::is_sorted(schema["enum"].begin(), schema["enum"].end()));
}

}  // namespace
