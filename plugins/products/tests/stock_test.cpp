// products: adjusting stock with a reason (never below zero free units), the list of
// adjustments, and stock returns being payment's alone.
#include "support/shop.hpp"

#include <gtest/gtest.h>

namespace berth::test {
namespace {

class Stock : public ::testing::Test {
protected:
    static void SetUpTestSuite() { shop_ = new shop(); }
    static void TearDownTestSuite() { delete shop_; }
    static shop& s() { return *shop_; }
    static shop* shop_;

    static std::string path(long long id, const std::string& behaviour) {
        return "/v1/products/" + std::to_string(id) + "/" + behaviour;
    }
    static reply adjust(long long id, long long delta, const std::string& reason) {
        return s().post(s().products(), path(id, "adjust-stock"), {{"delta", delta}, {"reason", reason}}, s().admin_token());
    }
    static nlohmann::json adjustments(long long id, const std::string& query = "") {
        auto r = s().get(s().products(), path(id, "stock-adjustments") + query, s().admin_token());
        if (r.status != 200) throw std::runtime_error("adjustments failed: " + r.body);
        return r.json();
    }
};
shop* Stock::shop_ = nullptr;

TEST_F(Stock, AdjustingAddsAndRemovesStock) {
    auto id = s().product("ADJ-1", 100, 5);
    auto up = adjust(id, 4, "found in the back room");
    ASSERT_EQ(up.status, 200) << up.body;
    EXPECT_EQ(up.json()["stock"], 9);
    EXPECT_FALSE(up.header("ETag").empty());
    auto down = adjust(id, -7, "water damage");
    ASSERT_EQ(down.status, 200) << down.body;
    EXPECT_EQ(down.json()["stock"], 2);
    EXPECT_EQ(s().stock(id), 2);
}

TEST_F(Stock, AdjustingBelowZeroIs409AndChangesNothing) {
    auto id = s().product("ADJ-2", 100, 3);
    auto r = adjust(id, -4, "count");
    EXPECT_EQ(r.status, 409);
    EXPECT_EQ(r.json()["title"], "Not enough stock");
    EXPECT_EQ(s().stock(id), 3);
    EXPECT_EQ(adjustments(id)["items"].size(), 1u);  // the restock only
}

TEST_F(Stock, HeldUnitsCannotBeAdjustedAway) {
    auto id = s().product("ADJ-HELD", 100, 5);
    // A checkout's hold of 3, as payment leaves it between reserving and committing.
    const auto p = std::to_string(id);
    sql_exec(s().host().data_dir() / "products.db",
             "BEGIN IMMEDIATE; INSERT INTO reservations(id, state) VALUES('adj-held', 'held');"
             "INSERT INTO reservation_items(reservation_id, product_id, quantity, unit_price_cents, currency) "
             "VALUES('adj-held', " + p + ", 3, 100, 'EUR');"
             "UPDATE products SET stock = stock - 3 WHERE id = " + p + "; COMMIT;");
    EXPECT_EQ(adjust(id, -3, "count").status, 409);
    EXPECT_EQ(adjust(id, -2, "count").status, 200);
    EXPECT_EQ(s().stock(id), 0);
}

TEST_F(Stock, AZeroDeltaIs400) {
    auto id = s().product("ADJ-3", 100, 1);
    auto r = adjust(id, 0, "nothing");
    ASSERT_EQ(r.status, 400) << r.body;
    EXPECT_EQ(r.json()["errors"][0]["pointer"], "/delta");
}

TEST_F(Stock, ABlankReasonIs400) {
    auto id = s().product("ADJ-4", 100, 1);
    auto r = adjust(id, 1, "  ");
    ASSERT_EQ(r.status, 400) << r.body;
    EXPECT_EQ(r.json()["errors"][0]["pointer"], "/reason");
    EXPECT_EQ(s().post(s().products(), path(id, "adjust-stock"), {{"delta", 1}}, s().admin_token()).status, 400);
}

TEST_F(Stock, AdjustingAnUnknownProductIs404) {
    EXPECT_EQ(adjust(987654, 1, "count").status, 404);
}

TEST_F(Stock, AdjustingNeedsCatalogWrite) {
    auto id = s().product("ADJ-5", 100, 1);
    auto user = s().login("adjust@example.org");
    EXPECT_EQ(s().post(s().products(), path(id, "adjust-stock"), {{"delta", 1}, {"reason", "x"}}, user).status, 403);
    EXPECT_EQ(s().get(s().products(), path(id, "stock-adjustments"), user).status, 403);
}

TEST_F(Stock, AdjustmentsAreListedNewestFirstWithWhoAndWhy) {
    auto id = s().product("ADJ-LIST", 100, 5);
    ASSERT_EQ(adjust(id, -1, "  broken in transit ").status, 200);
    ASSERT_EQ(adjust(id, 2, "recount").status, 200);
    auto items = adjustments(id)["items"];
    ASSERT_EQ(items.size(), 3u);
    EXPECT_EQ(items[0]["delta"], 2);
    EXPECT_EQ(items[0]["reason"], "recount");
    EXPECT_EQ(items[1]["delta"], -1);
    EXPECT_EQ(items[1]["reason"], "broken in transit");
    EXPECT_EQ(items[2]["delta"], 5);
    EXPECT_EQ(items[2]["reason"], "Restock");
    EXPECT_EQ(items[0]["subject"], "catalog-admin");
    EXPECT_FALSE(items[0]["created_at"].get<std::string>().empty());
}

TEST_F(Stock, AdjustmentsComeAPageAtATime) {
    auto id = s().product("ADJ-PAGE", 100, 1);
    for (int i = 1; i <= 4; ++i) ASSERT_EQ(adjust(id, 1, "count " + std::to_string(i)).status, 200);
    std::vector<std::string> reasons;
    std::string cursor;
    for (int n = 0; n < 10; ++n) {
        auto j = adjustments(id, "?limit=2" + (cursor.empty() ? "" : "&cursor=" + cursor));
        for (auto& item : j["items"]) reasons.push_back(item["reason"]);
        if (j["next_cursor"].is_null()) break;
        cursor = j["next_cursor"];
    }
    EXPECT_EQ(reasons, (std::vector<std::string>{"count 4", "count 3", "count 2", "count 1", "Restock"}));
}

TEST_F(Stock, AdjustmentsOfAnUnknownProductAre404) {
    EXPECT_EQ(s().get(s().products(), "/v1/products/987654/stock-adjustments", s().admin_token()).status, 404);
}

TEST_F(Stock, StockReturnsAreForThePaymentModuleOnly) {
    auto id = s().product("RET-1", 100, 1);
    auto r = s().post(s().products(), "/v1/stock-returns",
                      {{"reference", "pay_x"}, {"items", {{{"product_id", id}, {"quantity", 1}}}}}, s().admin_token());
    EXPECT_EQ(r.status, 403);
    EXPECT_EQ(s().stock(id), 1);
}

}  // namespace
}  // namespace berth::test
