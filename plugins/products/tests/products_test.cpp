// products, over HTTP against the real host (categories answers whether a category exists).
#include "support/shop.hpp"

#include <gtest/gtest.h>

namespace berth::test {
namespace {

class Products : public ::testing::Test {
protected:
    static void SetUpTestSuite() { shop_ = new shop(); }
    static void TearDownTestSuite() { delete shop_; }
    static shop& s() { return *shop_; }
    static shop* shop_;
};
shop* Products::shop_ = nullptr;

TEST_F(Products, CreateChecksTheCategoryWithTheCategoriesModule) {
    auto cat = s().category("Rugs");
    auto r = s().post(s().products(), "/v1/products",
                      {{"sku", "RUG-1"}, {"name", "Wool rug"}, {"price_cents", 12900}, {"currency", "EUR"}, {"category_id", cat}},
                      s().admin_token());
    ASSERT_EQ(r.status, 201) << r.body;
    auto p = r.json();
    EXPECT_EQ(p["stock"], 0);
    EXPECT_EQ(p["status"], "active");
    EXPECT_EQ(p["price_cents"], 12900);
    auto missing = s().post(s().products(), "/v1/products",
                            {{"sku", "RUG-2"}, {"name", "Rug"}, {"price_cents", 1}, {"currency", "EUR"}, {"category_id", 9999}},
                            s().admin_token());
    EXPECT_EQ(missing.status, 422);
    EXPECT_NE(missing.json()["detail"].get<std::string>().find("9999"), std::string::npos);
    auto dup = s().post(s().products(), "/v1/products",
                        {{"sku", "RUG-1"}, {"name", "Again"}, {"price_cents", 1}, {"currency", "EUR"}, {"category_id", cat}},
                        s().admin_token());
    EXPECT_EQ(dup.status, 409);
}

TEST_F(Products, WritesNeedCatalogWrite) {
    auto user = s().login("browser@example.org");
    auto body = nlohmann::json{{"sku", "X-1"}, {"name", "X"}, {"price_cents", 1}, {"currency", "EUR"}, {"category_id", 1}};
    EXPECT_EQ(s().post(s().products(), "/v1/products", body).status, 401);
    EXPECT_EQ(s().post(s().products(), "/v1/products", body, user).status, 403);
    auto id = s().product("W-1", 100, 0);
    EXPECT_EQ(s().post(s().products(), "/v1/products/" + std::to_string(id) + "/reprice", {{"price_cents", 5}}, user).status, 403);
}

TEST_F(Products, CreateInputIsChecked) {
    auto r = s().post(s().products(), "/v1/products",
                      {{"sku", "bad sku!"}, {"name", "X"}, {"price_cents", -1}, {"currency", "euro"}, {"category_id", 0}},
                      s().admin_token());
    ASSERT_EQ(r.status, 400);
    std::set<std::string> pointers;
    auto body = r.json();
    for (auto& e : body["errors"]) pointers.insert(e["pointer"].get<std::string>());
    EXPECT_EQ(pointers, (std::set<std::string>{"/sku", "/price_cents", "/currency", "/category_id"}));
}

TEST_F(Products, RepriceRestockDiscontinue) {
    auto id = std::to_string(s().product("LAMP-9", 1000, 0));
    auto admin = s().admin_token();
    auto r1 = s().post(s().products(), "/v1/products/" + id + "/reprice", {{"price_cents", 1500}}, admin);
    ASSERT_EQ(r1.status, 200);
    EXPECT_EQ(r1.json()["price_cents"], 1500);
    auto r2 = s().post(s().products(), "/v1/products/" + id + "/restock", {{"quantity", 7}}, admin);
    EXPECT_EQ(r2.json()["stock"], 7);
    EXPECT_EQ(s().post(s().products(), "/v1/products/" + id + "/restock", {{"quantity", 0}}, admin).status, 400);
    auto r3 = s().post(s().products(), "/v1/products/" + id + "/discontinue", nullptr, admin);
    EXPECT_EQ(r3.json()["status"], "discontinued");
    auto shown = s().get(s().products(), "/v1/products/" + id).json();
    EXPECT_EQ(shown["price_cents"], 1500);
    EXPECT_EQ(shown["stock"], 7);
    EXPECT_EQ(shown["status"], "discontinued");
    EXPECT_EQ(s().post(s().products(), "/v1/products/999999/reprice", {{"price_cents", 1}}, admin).status, 404);
    EXPECT_EQ(s().get(s().products(), "/v1/products/999999").status, 404);
    EXPECT_EQ(s().get(s().products(), "/v1/products/abc").status, 404);
}

TEST_F(Products, ListFiltersAndPages) {
    auto admin = s().admin_token();
    auto cat = s().category("Vases");
    for (int i = 0; i < 5; ++i)
        ASSERT_EQ(s().post(s().products(), "/v1/products",
                           {{"sku", "VASE-" + std::to_string(i)}, {"name", i % 2 ? "Tall vase" : "Round vase"},
                            {"price_cents", 100 + i}, {"currency", "EUR"}, {"category_id", cat}},
                           admin)
                      .status,
                  201);
    const std::string base = "/v1/products?category_id=" + std::to_string(cat);
    std::vector<std::string> skus;
    std::string cursor;
    for (int page = 0; page < 5; ++page) {
        auto r = s().get(s().products(), base + "&limit=2" + (cursor.empty() ? "" : "&cursor=" + cursor));
        ASSERT_EQ(r.status, 200) << r.body;
        auto j = r.json();
        for (auto& item : j["items"]) skus.push_back(item["sku"]);
        if (j["next_cursor"].is_null()) break;
        cursor = j["next_cursor"];
    }
    EXPECT_EQ(skus, (std::vector<std::string>{"VASE-0", "VASE-1", "VASE-2", "VASE-3", "VASE-4"}));
    auto tall = s().get(s().products(), base + "&q=tall").json();
    EXPECT_EQ(tall["items"].size(), 2u);
    auto none = s().get(s().products(), base + "&q=%25").json();  // a literal %, not a wildcard
    EXPECT_EQ(none["items"].size(), 0u);
    EXPECT_EQ(s().get(s().products(), "/v1/products?limit=0").status, 400);
    EXPECT_EQ(s().get(s().products(), "/v1/products?colour=red").status, 400);
}

TEST_F(Products, ReservationsAreForThePaymentModuleOnly) {
    auto id = s().product("RES-1", 100, 3);
    auto r = s().post(s().products(), "/v1/reservations", {{"items", {{{"product_id", id}, {"quantity", 1}}}}}, s().admin_token());
    EXPECT_EQ(r.status, 403);
    EXPECT_NE(r.json()["detail"].get<std::string>().find("payment"), std::string::npos);
    EXPECT_EQ(s().stock(id), 3);
}

}  // namespace
}  // namespace berth::test
