// payment: migration 3 on a database the build before issue 12 left: whole refunds become a
// recorded refund and refunded_cents, a 422 stored under a key stops holding it, everything else
// stays. The payment module alone, on a payment.db written as that build wrote it.
#include "support/shop.hpp"
#include "support/test_host.hpp"

#include <gtest/gtest.h>

namespace berth::test {
namespace {

// payment.db at migration 2, with a captured, a refunded and a declined payment, and a 409 and
// a 422 stored under their keys (no items: refused before any hold).
void write_version_2(const std::filesystem::path& db) {
    sql_exec(db,
             "CREATE TABLE berth_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL "
             "DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')));"
             "INSERT INTO berth_migrations(version, name) VALUES(1, 'create payments'), (2, 'retire');"
             "CREATE TABLE payments (id TEXT PRIMARY KEY, user_id TEXT NOT NULL, idempotency_key TEXT NOT NULL,"
             " request_hash TEXT NOT NULL, status TEXT NOT NULL CHECK (status IN ('pending', 'captured', 'declined',"
             " 'refunded', 'rejected')), amount_cents INTEGER, currency TEXT, card_last4 TEXT, reservation_id TEXT,"
             " response_status INTEGER, response_body TEXT,"
             " created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')), UNIQUE (user_id, idempotency_key));"
             "CREATE TABLE payment_items (payment_id TEXT NOT NULL REFERENCES payments(id), product_id INTEGER NOT NULL,"
             " quantity INTEGER NOT NULL, unit_price_cents INTEGER NOT NULL, PRIMARY KEY (payment_id, product_id));"
             "CREATE INDEX payments_status_age ON payments(status, created_at);"
             "INSERT INTO payments(id, user_id, idempotency_key, request_hash, status, amount_cents, currency, card_last4,"
             " response_status, response_body) VALUES"
             " ('pay_000000000000000000000001', '1', 'k-captured', 'retired', 'captured', 300, 'EUR', '4242', 201, '{}'),"
             " ('pay_000000000000000000000002', '1', 'k-refunded', 'retired', 'refunded', 500, 'EUR', '4242', 201, '{}'),"
             " ('pay_000000000000000000000003', '1', 'k-declined', 'retired', 'declined', 700, 'EUR', '0002', 402, '{}'),"
             " ('pay_000000000000000000000004', '1', 'k-409', 'retired', 'rejected', NULL, NULL, NULL, 409, '{}'),"
             " ('pay_000000000000000000000005', '1', 'k-422', 'retired', 'rejected', NULL, NULL, NULL, 422, '{}');"
             "INSERT INTO payment_items VALUES ('pay_000000000000000000000001', 1, 1, 300),"
             " ('pay_000000000000000000000002', 1, 1, 500), ('pay_000000000000000000000003', 1, 1, 700);");
}

TEST(PaymentMigration, AnUpgradeRecordsEarlierRefundsAndFreesKeysHeldBy422s) {
    temp_dir old;
    const auto db = old.path() / "payment.db";
    write_version_2(db);
    test_host host({{"payment", shipped_plugin("payment"), {{"database", "sqlite3://db=" + db.string()}}}});
    auto mint = host.admin("POST", "/tokens", nlohmann::json{{"subject", "support"}, {"scope", "payments:read"}}.dump());
    ASSERT_EQ(mint.status, 201) << mint.body;
    const std::string op = mint.json()["token"];

    auto refunded = http_request(host.port("payment"), "GET", "/v1/payments/pay_000000000000000000000002", {},
                                 {{"Authorization", "Bearer " + op}});
    ASSERT_EQ(refunded.status, 200) << refunded.body;
    EXPECT_EQ(refunded.json()["status"], "refunded");
    EXPECT_EQ(refunded.json()["refunded_cents"], 500);
    ASSERT_EQ(refunded.json()["refunds"].size(), 1u);
    EXPECT_EQ(refunded.json()["refunds"][0]["amount_cents"], 500);

    auto page = http_request(host.port("payment"), "GET", "/v1/payments?user_id=1", {}, {{"Authorization", "Bearer " + op}});
    ASSERT_EQ(page.status, 200) << page.body;
    EXPECT_EQ(page.json()["items"].size(), 3u);  // captured, refunded, declined: never the stored refusals
    EXPECT_EQ(sql(db, "SELECT idempotency_key FROM payments WHERE status = 'rejected'"), std::vector<std::string>{"k-409"});
    EXPECT_EQ(sql(db, "SELECT refunded_cents FROM payments WHERE id = 'pay_000000000000000000000001'"),
              std::vector<std::string>{"0"});
}

// Migration 4: a client key shaped like a freed one ("expired:" + another payment's id) is
// retired as freed, so freeing that other payment's key can never collide with it.
TEST(PaymentMigration, AClientKeyShapedLikeAFreedOneIsRetired) {
    temp_dir old;
    const auto db = old.path() / "payment.db";
    write_version_2(db);
    sql_exec(db, "UPDATE payments SET idempotency_key = 'expired:pay_000000000000000000000001' "
                 "WHERE id = 'pay_000000000000000000000003';"
                 "UPDATE payments SET idempotency_key = 'expired:pay_000000000000000000000002' "
                 "WHERE id = 'pay_000000000000000000000002';");
    test_host host({{"payment", shipped_plugin("payment"), {{"database", "sqlite3://db=" + db.string()}}}});
    ASSERT_EQ(http_request(host.port("payment"), "GET", "/healthz").status, 200);
    EXPECT_EQ(sql(db, "SELECT id || ' ' || idempotency_key FROM payments WHERE idempotency_key LIKE 'expired:%' ORDER BY id"),
              (std::vector<std::string>{"pay_000000000000000000000002 expired:pay_000000000000000000000002",
                                        "pay_000000000000000000000003 expired:pay_000000000000000000000003"}));
    EXPECT_EQ(sql(db, "SELECT idempotency_key FROM payments WHERE id = 'pay_000000000000000000000001'"),
              std::vector<std::string>{"k-captured"});
}

}  // namespace
}  // namespace berth::test
