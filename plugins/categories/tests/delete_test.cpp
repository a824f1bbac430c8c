// categories: deleting an empty category; one with subcategories or products stays.
#include "helpers.hpp"

#include <gtest/gtest.h>

namespace berth::test {
namespace {

using categories_tests::create;
using categories_tests::path;
using categories_tests::remove;

long long product_in(shop& s, long long category, const std::string& sku) {
    auto r = s.post(s.products(), "/v1/products",
                     {{"sku", sku}, {"name", "Lamp " + sku}, {"price_cents", 1999}, {"currency", "EUR"}, {"category_id", category}},
                     s.admin_token());
    if (r.status != 201) throw std::runtime_error("product failed: " + r.body);
    return r.json()["id"];
}

TEST(CategoryDelete, AnEmptyOneIsGoneThen404) {
    shop s;
    long long lamps = create(s, "Lamps");
    auto r = remove(s.categories(), lamps, s.admin_token());
    ASSERT_EQ(r.status, 204) << r.body;
    EXPECT_TRUE(r.body.empty());
    EXPECT_EQ(s.get(s.categories(), path(lamps)).status, 404);
    EXPECT_EQ(remove(s.categories(), lamps, s.admin_token()).status, 404);
    EXPECT_TRUE(s.get(s.categories(), "/v1/categories").json().empty());
}

TEST(CategoryDelete, ItsIdIsNeverHandedToANewCategory) {
    shop s;
    long long a = create(s, "Lamps");
    long long b = create(s, "Chairs");
    ASSERT_EQ(remove(s.categories(), b, s.admin_token()).status, 204);
    long long c = create(s, "Tables");
    EXPECT_NE(c, b);
    EXPECT_GT(c, a);
    EXPECT_EQ(s.get(s.categories(), path(b)).status, 404);  // a bookmark of B still finds nothing
}

TEST(CategoryDelete, AnEmptyLeafLeavesItsParent) {
    shop s;
    long long lamps = create(s, "Lamps");
    long long desk = create(s, "Desk", lamps);
    ASSERT_EQ(remove(s.categories(), desk, s.admin_token()).status, 204);
    EXPECT_EQ(categories_tests::subtree_ids(s, lamps), nlohmann::json::array({lamps}));
}

TEST(CategoryDelete, OneWithSubcategoriesIs409) {
    shop s;
    long long lamps = create(s, "Lamps");
    create(s, "Desk", lamps);
    auto r = remove(s.categories(), lamps, s.admin_token());
    EXPECT_EQ(r.status, 409) << r.body;
    EXPECT_EQ(r.json()["title"], "Category not empty");
    EXPECT_EQ(s.get(s.categories(), path(lamps)).status, 200);
}

TEST(CategoryDelete, OneAProductNamesIs409) {
    shop s;
    long long lamps = create(s, "Lamps");
    product_in(s, lamps, "LMP-1");
    auto r = remove(s.categories(), lamps, s.admin_token());
    EXPECT_EQ(r.status, 409) << r.body;
    EXPECT_EQ(r.json()["title"], "Category not empty");
    EXPECT_EQ(s.get(s.categories(), path(lamps)).status, 200);
}

TEST(CategoryDelete, OneADiscontinuedProductNamesIs409) {
    shop s;
    long long lamps = create(s, "Lamps");
    long long lamp = product_in(s, lamps, "LMP-1");
    ASSERT_EQ(s.post(s.products(), "/v1/products/" + std::to_string(lamp) + "/discontinue", nullptr, s.admin_token()).status, 200);
    auto r = remove(s.categories(), lamps, s.admin_token());
    EXPECT_EQ(r.status, 409) << r.body;
    EXPECT_EQ(s.get(s.categories(), path(lamps)).status, 200);
}

TEST(CategoryDelete, AProductInAnotherCategoryDoesNotCount) {
    shop s;
    long long lamps = create(s, "Lamps");
    long long chairs = create(s, "Chairs");
    product_in(s, chairs, "CHR-1");
    EXPECT_EQ(remove(s.categories(), lamps, s.admin_token()).status, 204);
}

TEST(CategoryDelete, AnUnknownOneIs404) {
    shop s;
    auto r = remove(s.categories(), 999, s.admin_token());
    EXPECT_EQ(r.status, 404);
    EXPECT_EQ(r.json()["title"], "No such category");
}

TEST(CategoryDelete, NeedsCatalogWrite) {
    shop s;
    long long lamps = create(s, "Lamps");
    EXPECT_EQ(remove(s.categories(), lamps, "").status, 401);
    EXPECT_EQ(remove(s.categories(), lamps, s.login("shopper@example.org")).status, 403);
    EXPECT_EQ(s.get(s.categories(), path(lamps)).status, 200);
}

TEST(CategoryDelete, WithoutProductsToAskIs503AndKeepsTheCategory) {
    // Categories alone: nothing can say whether a product names the category.
    test_host host({{"categories", shipped_plugin("categories")}});
    auto minted = host.admin("POST", "/tokens", nlohmann::json{{"subject", "ops"}, {"scope", "catalog:write"}, {"ttl_s", 600}}.dump());
    ASSERT_EQ(minted.status, 201) << minted.body;
    const std::string token = minted.json()["token"];
    auto made = http_request(host.port("categories"), "POST", "/v1/categories", nlohmann::json{{"name", "Lamps"}}.dump(),
                             {{"Content-Type", "application/json"}, {"Authorization", "Bearer " + token}});
    ASSERT_EQ(made.status, 201) << made.body;
    long long lamps = made.json()["id"];
    auto r = remove(host.port("categories"), lamps, token);
    EXPECT_EQ(r.status, 503) << r.body;
    EXPECT_EQ(r.json()["title"], "Products unavailable");
    EXPECT_EQ(http_request(host.port("categories"), "GET", path(lamps)).status, 200);
}

}  // namespace
}  // namespace berth::test
