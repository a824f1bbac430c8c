// payment: checkouts cut short by a crash (simulated by putting the databases in the state a
// crash at that point leaves) are settled against products, and a retry of the key gets the real
// outcome: a replay of the captured payment, or a fresh attempt. Real host, real HTTP.
#include "support/eventually.hpp"
#include "support/shop.hpp"

#include <gtest/gtest.h>

#include <chrono>

namespace berth::test {
namespace {

class Recovery : public ::testing::Test {
protected:
    // Rows are due for settlement at once, and the periodic pass runs every 100 ms.
    static void SetUpTestSuite() {
        shop_ = new shop({}, {{"payment", {{"settle_after_s", 0}, {"settle_interval_ms", 100}}}});
    }
    static void TearDownTestSuite() { delete shop_; }
    static shop& s() { return *shop_; }
    static nlohmann::json items(long long product, long long quantity) {
        return nlohmann::json::array({{{"product_id", product}, {"quantity", quantity}}});
    }
    static std::filesystem::path payments() { return s().host().data_dir() / "payment.db"; }
    static std::filesystem::path products() { return s().host().data_dir() / "products.db"; }
    static std::string one(const std::filesystem::path& db, const std::string& query) {
        auto rows = sql(db, query);
        return rows.size() == 1 ? rows[0] : "<" + std::to_string(rows.size()) + " rows>";
    }
    static std::string reservation_of(const std::string& key) {
        return one(payments(), "SELECT reservation_id FROM payments WHERE idempotency_key = '" + key + "'");
    }
    // The payment row as a crash before the answer was stored leaves it.
    static std::string back_to_pending(const std::string& key) {
        return "UPDATE payments SET status = 'pending', response_status = NULL, response_body = NULL "
               "WHERE idempotency_key = '" + key + "';";
    }
    static shop* shop_;
};
shop* Recovery::shop_ = nullptr;

TEST_F(Recovery, ACrashAfterTheStockWasCommittedIsRecordedAsCapturedAndReplayed) {
    auto id = s().product("REC-COMMIT", 700, 5);
    auto token = s().login("rec-commit@example.org");
    auto first = s().checkout(token, "rc-1", items(id, 2));
    ASSERT_EQ(first.status, 201) << first.body;
    sql_exec(payments(), back_to_pending("rc-1"));

    auto retry = s().checkout(token, "rc-1", items(id, 2));
    ASSERT_EQ(retry.status, 201) << retry.body;
    EXPECT_EQ(retry.json(), first.json());
    EXPECT_EQ(s().stock(id), 3);
    EXPECT_EQ(one(payments(), "SELECT status FROM payments WHERE idempotency_key = 'rc-1'"), "captured");
    auto shown = s().get(s().payment(), "/v1/payments/" + first.json()["payment_id"].get<std::string>(), token);
    EXPECT_EQ(shown.status, 200);
}

TEST_F(Recovery, ACrashWhileTheStockWasHeldReleasesItAndARetryBuysAfresh) {
    auto id = s().product("REC-HELD", 300, 5);
    auto token = s().login("rec-held@example.org");
    auto first = s().checkout(token, "rh-1", items(id, 2));
    ASSERT_EQ(first.status, 201) << first.body;
    const std::string reservation = reservation_of("rh-1");
    // Charged nothing yet: the stock is held, the key pending.
    sql_exec(products(), "UPDATE reservations SET state = 'held' WHERE id = '" + reservation + "';");
    sql_exec(payments(), back_to_pending("rh-1"));

    auto retry = s().checkout(token, "rh-1", items(id, 2));
    ASSERT_EQ(retry.status, 201) << retry.body;
    EXPECT_NE(retry.json()["payment_id"], first.json()["payment_id"]);  // a fresh attempt
    EXPECT_EQ(one(products(), "SELECT state FROM reservations WHERE id = '" + reservation + "'"), "released");
    EXPECT_EQ(s().stock(id), 3);  // 2 given back, 2 taken again: once each
    EXPECT_EQ(one(payments(), "SELECT COUNT(*) FROM payments WHERE idempotency_key = 'rh-1'"), "1");
}

TEST_F(Recovery, ACrashBeforeTheReservationWasRecordedFreesTheKey) {
    auto id = s().product("REC-EARLY", 300, 5);
    auto token = s().login("rec-early@example.org");
    auto first = s().checkout(token, "re-1", items(id, 1));
    ASSERT_EQ(first.status, 201) << first.body;
    const std::string reservation = reservation_of("re-1");
    sql_exec(products(), "UPDATE reservations SET state = 'held' WHERE id = '" + reservation + "';");
    sql_exec(payments(), "BEGIN; DELETE FROM payment_items WHERE payment_id = (SELECT id FROM payments WHERE "
                         "idempotency_key = 're-1'); " + back_to_pending("re-1") +
                         " UPDATE payments SET reservation_id = NULL, amount_cents = NULL, currency = NULL, "
                         "card_last4 = NULL WHERE idempotency_key = 're-1'; COMMIT;");

    auto retry = s().checkout(token, "re-1", items(id, 1));
    ASSERT_EQ(retry.status, 201) << retry.body;
    EXPECT_NE(retry.json()["payment_id"], first.json()["payment_id"]);
    // The unrecorded hold is products' to expire (reservation_ttl_s); nothing was charged for it.
    EXPECT_EQ(s().stock(id), 3);
    EXPECT_EQ(one(payments(), "SELECT COUNT(*) FROM payments WHERE idempotency_key = 're-1'"), "1");
}

TEST_F(Recovery, ThePeriodicPassSettlesWithoutARetry) {
    auto id = s().product("REC-SWEEP", 300, 4);
    auto token = s().login("rec-sweep@example.org");
    ASSERT_EQ(s().checkout(token, "rs-1", items(id, 3)).status, 201);
    const std::string reservation = reservation_of("rs-1");
    sql_exec(products(), "UPDATE reservations SET state = 'held' WHERE id = '" + reservation + "';");
    sql_exec(payments(), back_to_pending("rs-1"));

    // The pass runs every 100 ms in this suite.
    eventually([&] { return one(payments(), "SELECT COUNT(*) FROM payments WHERE idempotency_key = 'rs-1'") == "0"; });
    EXPECT_EQ(one(payments(), "SELECT COUNT(*) FROM payments WHERE idempotency_key = 'rs-1'"), "0");
    EXPECT_EQ(one(products(), "SELECT state FROM reservations WHERE id = '" + reservation + "'"), "released");
    EXPECT_EQ(s().stock(id), 4);
}

}  // namespace
}  // namespace berth::test
