// products: a reservation held longer than reservation_ttl_s is released (stock given back),
// lazily before reserving and by a periodic sweep, exactly once. A hold a crash left behind is
// put in the database the way the crash leaves it. Real host, real HTTP.
#include "support/eventually.hpp"
#include "support/shop.hpp"

#include <gtest/gtest.h>

#include <chrono>

namespace berth::test {
namespace {

nlohmann::json items(long long product, long long quantity) {
    return nlohmann::json::array({{{"product_id", product}, {"quantity", quantity}}});
}

// A held reservation of `quantity` units, as a checkout that died after reserving leaves it.
void leave_hold(shop& s, const std::string& id, long long product, long long quantity, const std::string& created_at) {
    const auto p = std::to_string(product), q = std::to_string(quantity);
    sql_exec(s.host().data_dir() / "products.db",
             "BEGIN IMMEDIATE;"
             "INSERT INTO reservations(id, state, created_at) VALUES('" + id + "', 'held', " + created_at + ");"
             "INSERT INTO reservation_items(reservation_id, product_id, quantity, unit_price_cents, currency) "
             "SELECT '" + id + "', id, " + q + ", price_cents, currency FROM products WHERE id = " + p + ";"
             "UPDATE products SET stock = stock - " + q + " WHERE id = " + p + "; COMMIT;");
}
std::string state(shop& s, const std::string& id) {
    auto rows = sql(s.host().data_dir() / "products.db", "SELECT state FROM reservations WHERE id = '" + id + "'");
    return rows.size() == 1 ? rows[0] : "";
}
constexpr const char* now = "strftime('%Y-%m-%dT%H:%M:%fZ', 'now')";
constexpr const char* long_ago = "'2000-01-01T00:00:00.000Z'";

TEST(ReservationExpiry, TheSweepReleasesAHoldAfterItsTtl) {
    shop s({}, {{"products", {{"reservation_ttl_s", 1}, {"reservation_sweep_ms", 100}}}});
    auto id = s.product("EXP-SWEEP", 100, 5);
    leave_hold(s, "r-sweep", id, 2, now);
    EXPECT_EQ(s.stock(id), 3);
    // The sweep runs every 100 ms; the hold is due after 1 s.
    eventually([&] { return state(s, "r-sweep") != "held"; });
    EXPECT_EQ(state(s, "r-sweep"), "released");
    EXPECT_EQ(s.stock(id), 5);
}

class LazyExpiry : public ::testing::Test {
protected:
    // The sweep runs once at start and then hourly: what happens here is the lazy path's doing.
    static void SetUpTestSuite() {
        shop_ = new shop({}, {{"products", {{"reservation_ttl_s", 60}, {"reservation_sweep_ms", 3600000}}},
                              {"payment", {{"settle_after_s", 0}, {"settle_interval_ms", 3600000}}}});
    }
    static void TearDownTestSuite() { delete shop_; }
    static shop& s() { return *shop_; }
    static shop* shop_;
};
shop* LazyExpiry::shop_ = nullptr;

TEST_F(LazyExpiry, AnExpiredHoldIsReleasedBeforeReserving) {
    auto id = s().product("EXP-LAZY", 100, 5);
    leave_hold(s(), "r-old", id, 2, long_ago);
    leave_hold(s(), "r-young", id, 1, now);
    EXPECT_EQ(s().stock(id), 2);
    auto r = s().checkout(s().login("lazy@example.org"), "lazy-1", items(id, 4));
    ASSERT_EQ(r.status, 201) << r.body;  // only possible with the expired hold's 2 back
    EXPECT_EQ(state(s(), "r-old"), "released");
    EXPECT_EQ(state(s(), "r-young"), "held");
    EXPECT_EQ(s().stock(id), 0);
}

TEST_F(LazyExpiry, AHoldBothExpiredAndReleasedByPaymentReturnsItsStockOnce) {
    auto id = s().product("EXP-ONCE", 100, 6);
    auto token = s().login("once-exp@example.org");
    auto first = s().checkout(token, "once-1", items(id, 2));
    ASSERT_EQ(first.status, 201) << first.body;
    auto db = s().host().data_dir() / "payment.db";
    auto reservation = sql(db, "SELECT reservation_id FROM payments WHERE idempotency_key = 'once-1'").at(0);
    // A crash before the commit, long enough ago for the hold to have expired.
    sql_exec(s().host().data_dir() / "products.db",
             "UPDATE reservations SET state = 'held', created_at = " + std::string(long_ago) + " WHERE id = '" + reservation + "';");
    sql_exec(db, "UPDATE payments SET status = 'pending', response_status = NULL, response_body = NULL "
                 "WHERE idempotency_key = 'once-1';");
    // Another checkout expires the hold; then the retry settles the key (release, or find it released).
    ASSERT_EQ(s().checkout(s().login("once-other@example.org"), "once-2", items(id, 1)).status, 201);
    EXPECT_EQ(s().stock(id), 5);  // 6 - 1; the expired 2 came back once
    auto retry = s().checkout(token, "once-1", items(id, 2));
    ASSERT_EQ(retry.status, 201) << retry.body;
    EXPECT_EQ(state(s(), reservation), "released");
    EXPECT_EQ(s().stock(id), 3);
}

}  // namespace
}  // namespace berth::test
