// payment: what an older generation still draining after migration 3 writes, repaired by the
// periodic sweep: a refund made by setting status 'refunded' only (no refunds row, refunded_cents
// unchanged) gets its refund recorded; a 422 stored under a key stops holding it. The test writes
// what the old code writes (SQL) and waits for the sweep (every 100 ms here). Real host, real HTTP.
#include "support/eventually.hpp"
#include "support/shop.hpp"

#include <gtest/gtest.h>

namespace berth::test {
namespace {

class DrainRepair : public ::testing::Test {
protected:
    static void SetUpTestSuite() { shop_ = new shop({}, {{"payment", {{"settle_interval_ms", 100}}}}); }
    static void TearDownTestSuite() { delete shop_; }
    static shop& s() { return *shop_; }
    static std::filesystem::path payments() { return s().host().data_dir() / "payment.db"; }
    static nlohmann::json items(long long product, long long quantity) {
        return nlohmann::json::array({{{"product_id", product}, {"quantity", quantity}}});
    }
    // A captured payment of one unit at `price`; returns its path.
    static std::string bought(const std::string& sku, const std::string& token, long long price) {
        auto r = s().checkout(token, sku, items(s().product(sku, price, 10), 1));
        if (r.status != 201) throw std::runtime_error("checkout failed: " + r.body);
        return r.header("Location");
    }
    // The pre-issue-12 refund: the whole payment, by its status alone.
    static void old_refund(const std::string& path) {
        sql_exec(payments(), "UPDATE payments SET status = 'refunded' WHERE id = '" + path.substr(path.rfind('/') + 1) + "';");
    }
    static shop* shop_;
};
shop* DrainRepair::shop_ = nullptr;

TEST_F(DrainRepair, AnOldWholeRefundIsRecordedAsARefundOfTheAmount) {
    auto token = s().login("drain-whole@example.org");
    auto path = bought("DRAIN-WHOLE", token, 700);
    old_refund(path);
    eventually([&] { return s().get(s().payment(), path, token).json()["refunded_cents"] == 700; });
    auto shown = s().get(s().payment(), path, token).json();
    EXPECT_EQ(shown["status"], "refunded");
    EXPECT_EQ(shown["refunded_cents"], 700);
    ASSERT_EQ(shown["refunds"].size(), 1u);
    EXPECT_EQ(shown["refunds"][0]["amount_cents"], 700);
    EXPECT_EQ(shown["refunds"][0]["restocked"], false);
    EXPECT_EQ(sql(payments(), "SELECT subject FROM refunds WHERE id = '" + shown["refunds"][0]["refund_id"].get<std::string>() + "'"),
              std::vector<std::string>{shown["user_id"].get<std::string>()});
}

TEST_F(DrainRepair, AnOldRefundAfterAPartialOneIsRecordedAsTheDifference) {
    auto token = s().login("drain-rest@example.org");
    auto path = bought("DRAIN-REST", token, 1000);
    ASSERT_EQ(s().post(s().payment(), path + "/refund", {{"amount_cents", 300}}, token).status, 200);
    old_refund(path);
    eventually([&] { return s().get(s().payment(), path, token).json()["refunded_cents"] == 1000; });
    auto shown = s().get(s().payment(), path, token).json();
    EXPECT_EQ(shown["refunded_cents"], 1000);
    ASSERT_EQ(shown["refunds"].size(), 2u);
    EXPECT_EQ(shown["refunds"][0]["amount_cents"], 300);
    EXPECT_EQ(shown["refunds"][1]["amount_cents"], 700);
}

TEST_F(DrainRepair, AnOld422StoredUnderAKeyStopsHoldingIt) {
    auto token = s().login("drain-422@example.org");
    auto first = s().get(s().payment(), bought("DRAIN-422-USER", token, 100), token).json();
    const std::string user = first["user_id"];
    const std::string row = "pay_0000000000000000000d0422";
    sql_exec(payments(), "INSERT INTO payments(id, user_id, idempotency_key, request_hash, status, response_status, "
                         "response_body) VALUES('" + row + "', '" + user + "', 'drain-422', 'v2:x', 'rejected', 422, '{}');");
    const std::string query = "SELECT COUNT(*) FROM payments WHERE id = '" + row + "'";
    eventually([&] { return sql(payments(), query) == std::vector<std::string>{"0"}; });
    EXPECT_EQ(sql(payments(), query), std::vector<std::string>{"0"});
    auto fresh = s().checkout(token, "drain-422", items(s().product("DRAIN-422", 100, 5), 1));
    EXPECT_EQ(fresh.status, 201) << fresh.body;  // not the old 422 replayed, nor "reused"
}

}  // namespace
}  // namespace berth::test
