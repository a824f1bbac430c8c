// categories, over HTTP against the real host.
#include "support/shop.hpp"

#include <gtest/gtest.h>

namespace berth::test {
namespace {

TEST(Categories, BuildsATreeAndRenames) {
    shop s;
    auto admin = s.admin_token();
    auto top = s.post(s.categories(), "/v1/categories", {{"name", "Lighting"}}, admin);
    ASSERT_EQ(top.status, 201) << top.body;
    long long top_id = top.json()["id"];
    EXPECT_TRUE(top.json()["parent_id"].is_null());
    auto child = s.post(s.categories(), "/v1/categories", {{"name", "Desk"}, {"parent_id", top_id}}, admin);
    ASSERT_EQ(child.status, 201);
    EXPECT_EQ(child.json()["parent_id"], top_id);
    ASSERT_EQ(s.post(s.categories(), "/v1/categories", {{"name", "Chairs"}}, admin).status, 201);

    auto tree = s.get(s.categories(), "/v1/categories");
    ASSERT_EQ(tree.status, 200);
    auto t = tree.json();
    ASSERT_EQ(t.size(), 2u);
    EXPECT_EQ(t[0]["name"], "Chairs");
    EXPECT_TRUE(t[0]["children"].empty());
    EXPECT_EQ(t[1]["name"], "Lighting");
    ASSERT_EQ(t[1]["children"].size(), 1u);
    EXPECT_EQ(t[1]["children"][0]["name"], "Desk");

    long long child_id = child.json()["id"];
    auto renamed = s.post(s.categories(), "/v1/categories/" + std::to_string(child_id) + "/rename", {{"name", "Desk lamps"}}, admin);
    ASSERT_EQ(renamed.status, 200);
    EXPECT_EQ(s.get(s.categories(), "/v1/categories/" + std::to_string(child_id)).json()["name"], "Desk lamps");
}

TEST(Categories, ErrorsAreProblems) {
    shop s;
    auto admin = s.admin_token();
    auto user = s.login("shopper@example.org");
    EXPECT_EQ(s.post(s.categories(), "/v1/categories", {{"name", "X"}}).status, 401);
    auto forbidden = s.post(s.categories(), "/v1/categories", {{"name", "X"}}, user);
    EXPECT_EQ(forbidden.status, 403);
    EXPECT_NE(forbidden.header("WWW-Authenticate").find("insufficient_scope"), std::string::npos);
    EXPECT_EQ(s.post(s.categories(), "/v1/categories", {{"name", "Orphan"}, {"parent_id", 999}}, admin).status, 422);
    ASSERT_EQ(s.post(s.categories(), "/v1/categories", {{"name", "Tables"}}, admin).status, 201);
    EXPECT_EQ(s.post(s.categories(), "/v1/categories", {{"name", "tables"}}, admin).status, 409);
    EXPECT_EQ(s.post(s.categories(), "/v1/categories", {{"name", ""}}, admin).status, 400);
    EXPECT_EQ(s.get(s.categories(), "/v1/categories/999").status, 404);
    EXPECT_EQ(s.post(s.categories(), "/v1/categories/999/rename", {{"name", "Y"}}, admin).status, 404);
    EXPECT_EQ(s.post(s.categories(), "/v1/categories/1/rename", {{"name", "Y"}}, user).status, 403);
}

}  // namespace
}  // namespace berth::test
