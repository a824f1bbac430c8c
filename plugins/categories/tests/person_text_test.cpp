// categories: names as a person's text (plugins/shared/text.hpp): trimmed of Unicode
// whitespace, 400 naming /name when blank or holding control characters.
#include "helpers.hpp"

#include <gtest/gtest.h>

namespace berth::test {
namespace {

void expect_400_at_name(const reply& r) {
    EXPECT_EQ(r.status, 400) << r.body;
    ASSERT_TRUE(r.json().contains("errors")) << r.body;
    EXPECT_EQ(r.json()["errors"][0]["pointer"], "/name");
}

TEST(CategoryPersonText, CreateTrimsUnicodeSpaces) {
    shop s;
    auto r = s.post(s.categories(), "/v1/categories", {{"name", "\u3000Lighting\u00a0\u2003"}}, s.admin_token());
    ASSERT_EQ(r.status, 201) << r.body;
    EXPECT_EQ(r.json()["name"], "Lighting");
}

TEST(CategoryPersonText, ANameOfIdeographicSpacesIs400) {
    shop s;
    expect_400_at_name(s.post(s.categories(), "/v1/categories", {{"name", "\u3000\u3000"}}, s.admin_token()));
    EXPECT_TRUE(s.get(s.categories(), "/v1/categories").json().empty());
}

TEST(CategoryPersonText, ANameWithAControlCharacterIs400) {
    shop s;
    expect_400_at_name(s.post(s.categories(), "/v1/categories", {{"name", "Lamps\u0007"}}, s.admin_token()));
}

TEST(CategoryPersonText, RenameToZeroWidthAndNoBreakSpacesIs400) {
    shop s;
    long long lamps = categories_tests::create(s, "Lamps");
    expect_400_at_name(s.post(s.categories(), categories_tests::path(lamps) + "/rename", {{"name", "\u200b\u00a0"}}, s.admin_token()));
    EXPECT_EQ(s.get(s.categories(), categories_tests::path(lamps)).json()["name"], "Lamps");
}

}  // namespace
}  // namespace berth::test
