// products: a write into a category that categories stops knowing right after (deleted as it
// was made) is undone: a create is gone, a recategorise puts the old category back; 422 (503
// when categories cannot say). Categories here is a stand-in (tests/categories_stand_in.cpp):
// ids below 1000 always exist, 1000..1999 exist once then 404, 2000..2999 once then 503; from
// 3000 a 404 not about the category; and no /subtree route (an older categories).
#include "support/test_host.hpp"
#include "support/http_client.hpp"

#include <gtest/gtest.h>

namespace berth::test {
namespace {

class CategoryUndo : public ::testing::Test {
protected:
    static void SetUpTestSuite() {
        host_ = new test_host({{"categories", test_plugin("products_categories_stand_in")}, {"products", shipped_plugin("products")}},
                              {{"auth", {{"issuer", "berth-test"}, {"token_ttl_s", 600}}}});
        token_ = host_->admin("POST", "/tokens",
                              nlohmann::json{{"subject", "undo-admin"}, {"scope", "catalog:write"}, {"ttl_s", 3600}}.dump())
                     .json()["token"];
    }
    static void TearDownTestSuite() { delete host_; }

    static reply post(const std::string& target, const nlohmann::json& body) {
        return http_request(host_->port("products"), "POST", target, body.dump(),
                            {{"Content-Type", "application/json"}, {"Authorization", "Bearer " + token_}});
    }
    static reply create(const std::string& sku, long long category) {
        return post("/v1/products", {{"sku", sku}, {"name", "Lamp"}, {"price_cents", 100}, {"currency", "EUR"}, {"category_id", category}});
    }
    static reply get(const std::string& target) { return http_request(host_->port("products"), "GET", target); }
    static test_host* host_;
    static std::string token_;
};
test_host* CategoryUndo::host_ = nullptr;
std::string CategoryUndo::token_;

TEST_F(CategoryUndo, ACreateIntoACategoryGoneMeanwhileIsUndoneWith422) {
    auto r = create("UNDO-1", 1001);
    EXPECT_EQ(r.status, 422) << r.body;
    EXPECT_EQ(r.json()["title"], "No such category");
    // The SKU is free again: the product is gone, not just hidden.
    EXPECT_EQ(create("UNDO-1", 5).status, 201);
}

TEST_F(CategoryUndo, ACreateWhenCategoriesCannotSayAfterIsUndoneWith503) {
    auto r = create("UNDO-2", 2001);
    EXPECT_EQ(r.status, 503) << r.body;
    EXPECT_EQ(create("UNDO-2", 5).status, 201);
}

TEST_F(CategoryUndo, ARecategoriseIntoACategoryGoneMeanwhileKeepsTheOldOne) {
    auto made = create("UNDO-3", 7);
    ASSERT_EQ(made.status, 201) << made.body;
    const std::string path = "/v1/products/" + std::to_string(made.json()["id"].get<long long>());
    auto r = post(path + "/recategorise", {{"category_id", 1003}});
    EXPECT_EQ(r.status, 422) << r.body;
    EXPECT_EQ(get(path).json()["category_id"], 7);
}

TEST_F(CategoryUndo, ARecategoriseIntoACategoryThatStaysIsKept) {
    auto made = create("UNDO-4", 7);
    ASSERT_EQ(made.status, 201) << made.body;
    const std::string path = "/v1/products/" + std::to_string(made.json()["id"].get<long long>());
    auto r = post(path + "/recategorise", {{"category_id", 8}});
    EXPECT_EQ(r.status, 200) << r.body;
    EXPECT_EQ(get(path).json()["category_id"], 8);
}

TEST_F(CategoryUndo, ListingACategorysSubtreeFromACategoriesWithoutSubtreeIs503NotNoSuchCategory) {
    auto r = get("/v1/products?category_id=5");
    EXPECT_EQ(r.status, 503) << r.body;
    EXPECT_EQ(r.json()["title"], "Categories unavailable");
}

TEST_F(CategoryUndo, ListingACategoryAloneStillWorksWithACategoriesWithoutSubtree) {
    auto r = get("/v1/products?category_id=5&subcategories=false");
    EXPECT_EQ(r.status, 200) << r.body;
}

TEST_F(CategoryUndo, ACreateWhenCategoriesAnswersA404NotAboutTheCategoryIs503) {
    auto r = create("UNDO-5", 3001);
    EXPECT_EQ(r.status, 503) << r.body;
    EXPECT_EQ(r.json()["title"], "Categories unavailable");
    EXPECT_EQ(create("UNDO-5", 5).status, 201);  // nothing was kept under the SKU
}

TEST_F(CategoryUndo, ARecategoriseWhenCategoriesAnswersA404NotAboutTheCategoryIs503AndKeepsTheOld) {
    auto made = create("UNDO-6", 7);
    ASSERT_EQ(made.status, 201) << made.body;
    const std::string path = "/v1/products/" + std::to_string(made.json()["id"].get<long long>());
    auto r = post(path + "/recategorise", {{"category_id", 3002}});
    EXPECT_EQ(r.status, 503) << r.body;
    EXPECT_EQ(r.json()["title"], "Categories unavailable");
    EXPECT_EQ(get(path).json()["category_id"], 7);
}

}  // namespace
}  // namespace berth::test
