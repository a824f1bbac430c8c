// products: POST /v1/stock-returns, as payment's refunds call it (in-process, as the module
// "payment": here a stand-in that forwards what it is sent). Stock comes back once per reference.
#include "support/test_host.hpp"
#include "support/http_client.hpp"

#include <gtest/gtest.h>

namespace berth::test {
namespace {

class StockReturns : public ::testing::Test {
protected:
    static void SetUpTestSuite() {
        host_ = new test_host({{"categories", shipped_plugin("categories")},
                               {"products", shipped_plugin("products")},
                               {"payment", test_plugin("products_payment_stand_in")}},
                              {{"auth", {{"issuer", "berth-test"}, {"token_ttl_s", 600}}}});
        auto minted = host_->admin("POST", "/tokens",
                                   nlohmann::json{{"subject", "returns-admin"}, {"scope", "catalog:write"}, {"ttl_s", 3600}}.dump());
        token_ = minted.json()["token"];
    }
    static void TearDownTestSuite() { delete host_; }
    static test_host& h() { return *host_; }

    static reply post(std::uint16_t port, const std::string& target, const nlohmann::json& body) {
        return http_request(port, "POST", target, body.is_null() ? "" : body.dump(),
                            {{"Content-Type", "application/json"}, {"Authorization", "Bearer " + token_}});
    }
    static long long product(const std::string& sku, long long stock) {
        auto cat = post(h().port("categories"), "/v1/categories", {{"name", "Returns " + sku}}).json()["id"];
        auto p = post(h().port("products"), "/v1/products",
                      {{"sku", sku}, {"name", sku}, {"price_cents", 100}, {"currency", "EUR"}, {"category_id", cat}});
        if (p.status != 201) throw std::runtime_error("product failed: " + p.body);
        const long long id = p.json()["id"];
        post(h().port("products"), "/v1/products/" + std::to_string(id) + "/restock", {{"quantity", stock}});
        return id;
    }
    static long long stock(long long id) {
        return http_request(h().port("products"), "GET", "/v1/products/" + std::to_string(id)).json()["stock"];
    }
    // POST /v1/stock-returns, asked by "payment".
    static reply give_back(const std::string& reference, const nlohmann::json& items) {
        return post(h().port("payment"), "/v1/call",
                    {{"method", "POST"}, {"target", "/v1/stock-returns"}, {"body", {{"reference", reference}, {"items", items}}}});
    }
    static nlohmann::json one(long long product, long long quantity) {
        return nlohmann::json::array({nlohmann::json{{"product_id", product}, {"quantity", quantity}}});
    }

    static test_host* host_;
    static std::string token_;
};
test_host* StockReturns::host_ = nullptr;
std::string StockReturns::token_;

TEST_F(StockReturns, AReturnPutsStockBack) {
    auto id = product("RET-A", 5);
    auto r = give_back("pay_a", one(id, 2));
    ASSERT_EQ(r.status, 201) << r.body;
    EXPECT_EQ(r.json(), (nlohmann::json{{"reference", "pay_a"}, {"items", one(id, 2)}}));
    EXPECT_EQ(r.header("Location"), "/v1/stock-returns/pay_a");
    EXPECT_EQ(stock(id), 7);
}

TEST_F(StockReturns, TheSameReferenceAgainAnswersTheFirstAndAddsNothing) {
    auto id = product("RET-B", 5);
    auto first = give_back("pay_b", one(id, 2));
    ASSERT_EQ(first.status, 201) << first.body;
    auto again = give_back("pay_b", one(id, 3));
    ASSERT_EQ(again.status, 200) << again.body;
    EXPECT_EQ(again.json(), first.json());
    EXPECT_EQ(stock(id), 7);
}

TEST_F(StockReturns, ADiscontinuedProductTakesItsStockBack) {
    auto id = product("RET-C", 1);
    ASSERT_EQ(post(h().port("products"), "/v1/products/" + std::to_string(id) + "/discontinue", nullptr).status, 200);
    ASSERT_EQ(give_back("pay_c", one(id, 4)).status, 201);
    EXPECT_EQ(stock(id), 5);
}

TEST_F(StockReturns, AnUnknownProductIs422AndReturnsNothing) {
    auto id = product("RET-D", 1);
    auto r = give_back("pay_d", nlohmann::json::array({nlohmann::json{{"product_id", id}, {"quantity", 1}},
                                                       nlohmann::json{{"product_id", 987654}, {"quantity", 1}}}));
    EXPECT_EQ(r.status, 422) << r.body;
    EXPECT_EQ(stock(id), 1);
    EXPECT_EQ(give_back("pay_d", one(id, 1)).status, 201);  // nothing was stored under the reference
}

TEST_F(StockReturns, AReturnIsListedWithTheAdjustments) {
    auto id = product("RET-E", 1);
    ASSERT_EQ(give_back("pay_e", one(id, 2)).status, 201);
    auto list = http_request(h().port("products"), "GET", "/v1/products/" + std::to_string(id) + "/stock-adjustments", "",
                             {{"Authorization", "Bearer " + token_}});
    ASSERT_EQ(list.status, 200) << list.body;
    auto newest = list.json()["items"][0];
    EXPECT_EQ(newest["delta"], 2);
    EXPECT_EQ(newest["reason"], "Returned: pay_e");
    EXPECT_EQ(newest["subject"], "payment");
}

TEST_F(StockReturns, AReturnIsShownByItsReference) {
    auto id = product("RET-F", 1);
    ASSERT_EQ(give_back("pay_f", one(id, 1)).status, 201);
    auto r = post(h().port("payment"), "/v1/call", {{"method", "GET"}, {"target", "/v1/stock-returns/pay_f"}});
    ASSERT_EQ(r.status, 200) << r.body;
    EXPECT_EQ(r.json()["reference"], "pay_f");
    auto missing = post(h().port("payment"), "/v1/call", {{"method", "GET"}, {"target", "/v1/stock-returns/pay_none"}});
    EXPECT_EQ(missing.status, 404);
}

}  // namespace
}  // namespace berth::test
