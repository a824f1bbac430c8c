// payment: the periodic sweep frees Idempotency-Keys older than idempotency_ttl_s without a
// request using them: the payments keep their rows, stored refusals go. Real host, real HTTP;
// the sweep runs every 100 ms here (settlement leaves rows younger than settle_after_s alone).
#include "support/eventually.hpp"
#include "keyed_shop.hpp"
#include "support/shop.hpp"

#include <gtest/gtest.h>

namespace berth::test {
namespace {

class KeySweep : public ::testing::Test {
protected:
    static void SetUpTestSuite() {
        shop_ = new shop({}, {{"payment", {{"idempotency_ttl_s", 60}, {"settle_interval_ms", 100}}}});
    }
    static void TearDownTestSuite() { delete shop_; }
    static shop& s() { return *shop_; }
    static nlohmann::json items(long long product, long long quantity) { return keyed_shop::items(product, quantity); }
    static std::filesystem::path payments() { return s().host().data_dir() / "payment.db"; }
    static void age_key(const std::string& key, int seconds) { keyed_shop::age_key(payments(), key, seconds); }
    // The row's id: the sweep also rewrites an expired key, so the key alone cannot find it after.
    static std::string row_of(const std::string& key) {
        auto ids = sql(payments(), "SELECT id FROM payments WHERE idempotency_key = '" + key + "'");
        if (ids.size() != 1) throw std::runtime_error("no single row for key " + key);
        return ids[0];
    }
    static shop* shop_;
};
shop* KeySweep::shop_ = nullptr;

TEST_F(KeySweep, TheSweepFreesExpiredKeysAndKeepsThePayments) {
    auto id = s().product("SWEEP-KEEP", 100, 5);
    auto token = s().login("sweep-keep@example.org");
    auto first = s().checkout(token, "sweep-1", items(id, 1));
    ASSERT_EQ(first.status, 201) << first.body;
    const std::string payment_id = first.json()["payment_id"];
    age_key("sweep-1", 61);
    const std::string query = "SELECT idempotency_key FROM payments WHERE id = '" + payment_id + "'";
    eventually([&] { return sql(payments(), query) == std::vector<std::string>{"expired:" + payment_id}; });
    EXPECT_EQ(sql(payments(), query), std::vector<std::string>{"expired:" + payment_id});
    EXPECT_EQ(s().get(s().payment(), first.header("Location"), token).status, 200);
}

TEST_F(KeySweep, TheSweepDropsExpiredStoredRefusals) {
    auto id = s().product("SWEEP-409", 100, 1);
    auto token = s().login("sweep-409@example.org");
    ASSERT_EQ(s().checkout(token, "sweep-409", items(id, 5)).status, 409);
    const std::string query = "SELECT COUNT(*) FROM payments WHERE id = '" + row_of("sweep-409") + "'";
    age_key("sweep-409", 61);
    eventually([&] { return sql(payments(), query) == std::vector<std::string>{"0"}; });
    EXPECT_EQ(sql(payments(), query), std::vector<std::string>{"0"});
}

TEST_F(KeySweep, AThousandOlderRefusalsThatMustStayDoNotHideOneThatMustGo) {
    // Rows the sweep keeps (refusals holding items) older than a stored refusal that must go:
    // a pass that limits before it filters picks the same thousand kept rows every time.
    sql_exec(payments(),
             "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 1000) "
             "INSERT INTO payments(id, user_id, idempotency_key, request_hash, status, response_status, response_body, "
             "created_at) SELECT printf('pay_%024x', i), 'sweep-keeper', 'keeper-' || i, 'v2:x', 'rejected', 409, '{}', "
             "strftime('%Y-%m-%dT%H:%M:%fZ', 'now', '-2 days') FROM n;"
             "INSERT INTO payment_items SELECT id, 1, 1, 100 FROM payments WHERE user_id = 'sweep-keeper';");
    auto id = s().product("SWEEP-BEHIND", 100, 1);
    auto token = s().login("sweep-behind@example.org");
    ASSERT_EQ(s().checkout(token, "sweep-behind", items(id, 5)).status, 409);
    const std::string query = "SELECT COUNT(*) FROM payments WHERE id = '" + row_of("sweep-behind") + "'";
    age_key("sweep-behind", 61);
    eventually([&] { return sql(payments(), query) == std::vector<std::string>{"0"}; });
    EXPECT_EQ(sql(payments(), query), std::vector<std::string>{"0"});
    EXPECT_EQ(sql(payments(), "SELECT COUNT(*) FROM payments WHERE user_id = 'sweep-keeper'"),
              std::vector<std::string>{"1000"});
}

}  // namespace
}  // namespace berth::test
