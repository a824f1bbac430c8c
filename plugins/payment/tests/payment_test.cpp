// payment: checkout end to end (users -> payment -> products), idempotency, refunds, and
// correctness under concurrency. Real host, real HTTP, real databases.
#include "support/shop.hpp"

#include <gtest/gtest.h>
#include <sodium.h>

#include <atomic>
#include <map>
#include <regex>
#include <thread>

namespace berth::test {
namespace {

class Payment : public ::testing::Test {
protected:
    static void SetUpTestSuite() { shop_ = new shop(); }
    static void TearDownTestSuite() { delete shop_; }
    static shop& s() { return *shop_; }
    static nlohmann::json items(long long product, long long quantity) {
        return nlohmann::json::array({{{"product_id", product}, {"quantity", quantity}}});
    }
    static shop* shop_;
};
shop* Payment::shop_ = nullptr;

TEST_F(Payment, CheckoutCapturesAtTheCurrentPriceAndTakesStock) {
    auto lamp = s().product("PAY-LAMP", 4999, 5);
    auto token = s().login("buyer@example.org");
    auto r = s().checkout(token, "k-1", items(lamp, 2), shop::card("4242424242424242"));
    ASSERT_EQ(r.status, 201) << r.body;
    auto p = r.json();
    EXPECT_EQ(p["status"], "captured");
    EXPECT_EQ(p["amount_cents"], 9998);
    EXPECT_EQ(p["currency"], "EUR");
    EXPECT_EQ(p["card_last4"], "4242");
    EXPECT_EQ(p["items"], (nlohmann::json::array({{{"product_id", lamp}, {"quantity", 2}, {"unit_price_cents", 4999}}})));
    EXPECT_EQ(s().stock(lamp), 3);

    // The price is the one at checkout, stored with the payment.
    ASSERT_EQ(s().post(s().products(), "/v1/products/" + std::to_string(lamp) + "/reprice", {{"price_cents", 1}}, s().admin_token()).status, 200);
    auto shown = s().get(s().payment(), "/v1/payments/" + p["payment_id"].get<std::string>(), token);
    ASSERT_EQ(shown.status, 200);
    EXPECT_EQ(shown.json()["amount_cents"], 9998);
    EXPECT_EQ(shown.json()["items"][0]["unit_price_cents"], 4999);
}

TEST_F(Payment, OnlyTheLastFourDigitsAreStored) {
    auto id = s().product("PAY-PAN", 100, 1);
    auto token = s().login("pan@example.org");
    ASSERT_EQ(s().checkout(token, "pan-1", items(id, 1), shop::card("5555555555554444")).status, 201);
    auto db = s().host().data_dir() / "payment.db";
    auto hits = sql(db, "SELECT COUNT(*) FROM payments WHERE "
                        "IFNULL(card_last4,'') || IFNULL(response_body,'') || request_hash LIKE '%5555555555554444%'");
    EXPECT_EQ(hits, std::vector<std::string>{"0"});
    EXPECT_EQ(sql(db, "SELECT card_last4 FROM payments WHERE idempotency_key = 'pan-1'"), std::vector<std::string>{"4444"});
}

// Every column of every row of every table of a database, one string per row.
std::vector<std::string> every_row(const std::filesystem::path& db) {
    std::vector<std::string> out;
    for (auto& table : sql(db, "SELECT name FROM sqlite_master WHERE type = 'table'")) {
        std::string columns;
        for (auto& column : sql(db, "SELECT name FROM pragma_table_info('" + table + "')"))
            columns += (columns.empty() ? "" : " || ' | ' || ") + std::string("IFNULL(CAST(\"") + column + "\" AS TEXT), '')";
        for (auto& row : sql(db, "SELECT " + columns + " FROM \"" + table + "\"")) out.push_back(table + ": " + row);
    }
    return out;
}

std::string sha256_hex(const std::string& text) {
    unsigned char digest[crypto_hash_sha256_BYTES];
    crypto_hash_sha256(digest, reinterpret_cast<const unsigned char*>(text.data()), text.size());
    char hex[2 * crypto_hash_sha256_BYTES + 1];
    sodium_bin2hex(hex, sizeof hex, digest, sizeof digest);
    return hex;
}

TEST_F(Payment, NothingRecoverableAboutTheCardIsStored) {
    auto id = s().product("PAY-FP", 100, 5);
    auto token = s().login("fingerprint@example.org");
    const nlohmann::json card = {{"number", "5105105105105100"}, {"exp_month", 11}, {"exp_year", 2031}, {"cvc", "8207"}};
    auto first = s().checkout(token, "fp-1", items(id, 1), card);
    ASSERT_EQ(first.status, 201) << first.body;

    const std::string body_hash = sha256_hex(nlohmann::json{{"items", items(id, 1)}, {"card", card}}.dump());
    const std::regex cvc("(^|[^0-9A-Za-z])8207([^0-9A-Za-z]|$)");
    auto rows = every_row(s().host().data_dir() / "payment.db");
    int with_last4 = 0;
    for (auto& row : rows) {
        SCOPED_TRACE(row);
        EXPECT_EQ(row.find("5105105105105100"), std::string::npos);
        EXPECT_EQ(row.find(body_hash), std::string::npos);
        EXPECT_FALSE(std::regex_search(row, cvc));
        with_last4 += row.find("fp-1") != std::string::npos && row.find("5100") != std::string::npos;
    }
    EXPECT_EQ(with_last4, 1);  // the scan saw the payment's row

    // The fingerprint still tells a replay from a different request.
    auto again = s().checkout(token, "fp-1", items(id, 1), card);
    EXPECT_EQ(again.status, 201);
    EXPECT_EQ(again.json(), first.json());
    auto other_card = card;
    other_card["number"] = "4242424242424242";
    EXPECT_EQ(s().checkout(token, "fp-1", items(id, 1), other_card).status, 409);
    auto other_expiry = card;
    other_expiry["exp_year"] = 2032;
    EXPECT_EQ(s().checkout(token, "fp-1", items(id, 1), other_expiry).status, 409);
    EXPECT_EQ(s().checkout(token, "fp-1", items(id, 2), card).status, 409);
    EXPECT_EQ(s().stock(id), 4);
}

TEST_F(Payment, TheFingerprintKeyIsAPrivateFileOutsideTheDatabase) {
    auto file = s().host().data_dir() / "payment.fingerprint.key";
    ASSERT_TRUE(std::filesystem::is_regular_file(file));
    auto perms = std::filesystem::status(file).permissions();
    EXPECT_EQ(perms & (std::filesystem::perms::group_all | std::filesystem::perms::others_all), std::filesystem::perms::none);
    EXPECT_EQ(std::filesystem::file_size(file), 64u);
}

TEST_F(Payment, EveryModuleDatabaseIsInWalMode) {
    for (auto name : {"users", "categories", "products", "payment"}) {
        SCOPED_TRACE(name);
        auto db = s().host().data_dir() / (std::string(name) + ".db");
        ASSERT_TRUE(std::filesystem::exists(db));
        EXPECT_EQ(sql(db, "PRAGMA journal_mode"), std::vector<std::string>{"wal"});
        EXPECT_FALSE(sql(db, "SELECT version FROM berth_migrations").empty());
    }
}

TEST_F(Payment, ACheckoutNeedsATokenAndAnIdempotencyKey) {
    auto id = s().product("PAY-KEY", 100, 1);
    EXPECT_EQ(s().checkout("", "k", items(id, 1)).status, 401);
    auto token = s().login("key@example.org");
    auto r = s().checkout(token, "", items(id, 1));
    EXPECT_EQ(r.status, 400);
    EXPECT_NE(r.json()["detail"].get<std::string>().find("Idempotency-Key"), std::string::npos);
    EXPECT_EQ(s().stock(id), 1);
}

TEST_F(Payment, ACheckoutKeyThatIsEmptyTooLongOrReservedIsRefused) {
    auto id = s().product("PAY-BAD-KEY", 100, 1);
    auto token = s().login("bad-key@example.org");
    const header_list empty_key = {{"Idempotency-Key", ""}};
    auto empty = s().post(s().payment(), "/v1/checkouts", {{"items", items(id, 1)}, {"card", shop::card()}}, token, empty_key);
    for (const auto& r : {empty, s().checkout(token, std::string(256, 'k'), items(id, 1)),
                          s().checkout(token, "expired:pay_000000000000000000000001", items(id, 1))}) {
        ASSERT_EQ(r.status, 400) << r.body;
        EXPECT_EQ(r.json()["title"], "Bad Idempotency-Key");
        EXPECT_EQ(r.json()["errors"][0]["pointer"], "/Idempotency-Key");
    }
    EXPECT_EQ(s().stock(id), 1);
    EXPECT_EQ(s().checkout(token, std::string(255, 'k'), items(id, 1)).status, 201);
}

TEST_F(Payment, TheSameKeyAndBodyReplayWithoutChargingAgain) {
    auto id = s().product("PAY-IDEM", 250, 5);
    auto token = s().login("idem@example.org");
    auto first = s().checkout(token, "same", items(id, 2));
    ASSERT_EQ(first.status, 201);
    auto again = s().checkout(token, "same", items(id, 2));
    EXPECT_EQ(again.status, 201);
    EXPECT_EQ(again.json(), first.json());
    EXPECT_EQ(s().stock(id), 3);
    auto other = s().checkout(token, "same", items(id, 1));
    EXPECT_EQ(other.status, 409);
    EXPECT_EQ(s().stock(id), 3);
    // Keys are per user: another user's "same" is a new checkout.
    EXPECT_EQ(s().checkout(s().login("idem2@example.org"), "same", items(id, 2)).status, 201);
    EXPECT_EQ(s().stock(id), 1);
}

TEST_F(Payment, ADeclinedCardIsRecordedAndLeavesStockAlone) {
    auto id = s().product("PAY-DECL", 700, 4);
    auto token = s().login("declined@example.org");
    auto r = s().checkout(token, "d-1", items(id, 3), shop::card("4000000000000002"));
    ASSERT_EQ(r.status, 402) << r.body;
    EXPECT_EQ(r.header("Content-Type"), "application/problem+json");
    auto payment_id = r.json()["payment_id"].get<std::string>();
    EXPECT_EQ(s().stock(id), 4);
    auto shown = s().get(s().payment(), "/v1/payments/" + payment_id, token);
    ASSERT_EQ(shown.status, 200);
    EXPECT_EQ(shown.json()["status"], "declined");
    EXPECT_EQ(s().post(s().payment(), "/v1/payments/" + payment_id + "/refund", nullptr, token).status, 409);
}

TEST_F(Payment, RefusedCheckoutsSayWhy) {
    auto token = s().login("refused@example.org");
    auto eur = s().product("PAY-EUR", 100, 2);
    auto usd = s().product("PAY-USD", 100, 2, "USD");
    auto gone = s().product("PAY-GONE", 100, 2);
    ASSERT_EQ(s().post(s().products(), "/v1/products/" + std::to_string(gone) + "/discontinue", nullptr, s().admin_token()).status, 200);
    struct row {
        std::string key;
        nlohmann::json items, card;
        int status;
    };
    const std::vector<row> rows = {
        {"unknown", items(999999, 1), shop::card(), 422},
        {"discontinued", items(gone, 1), shop::card(), 422},
        {"too-many", items(eur, 3), shop::card(), 409},
        {"mixed", nlohmann::json::array({{{"product_id", eur}, {"quantity", 1}}, {{"product_id", usd}, {"quantity", 1}}}), shop::card(), 422},
        {"luhn", items(eur, 1), shop::card("4242424242424241"), 422},
        {"expired", items(eur, 1), {{"number", "4242424242424242"}, {"exp_month", 1}, {"exp_year", 2001}, {"cvc", "123"}}, 422},
        {"bad-card", items(eur, 1), {{"number", "42"}, {"exp_month", 13}, {"exp_year", 2030}, {"cvc", "1"}}, 400},
        {"no-items", nlohmann::json::array(), shop::card(), 400},
    };
    for (auto& r : rows) {
        SCOPED_TRACE(r.key);
        auto res = s().checkout(token, r.key, r.items, r.card);
        EXPECT_EQ(res.status, r.status) << res.body;
        EXPECT_EQ(res.header("Content-Type"), "application/problem+json");
    }
    EXPECT_EQ(s().stock(eur), 2);
    EXPECT_EQ(s().stock(usd), 2);
    EXPECT_EQ(s().stock(gone), 2);
}

TEST_F(Payment, PaymentsAreVisibleToTheirOwnerOnly) {
    auto id = s().product("PAY-OWN", 100, 1);
    auto owner = s().login("owner@example.org");
    auto other = s().login("other@example.org");
    auto r = s().checkout(owner, "own-1", items(id, 1));
    ASSERT_EQ(r.status, 201);
    auto path = "/v1/payments/" + r.json()["payment_id"].get<std::string>();
    EXPECT_EQ(s().get(s().payment(), path, owner).status, 200);
    EXPECT_EQ(s().get(s().payment(), path, other).status, 404);
    EXPECT_EQ(s().get(s().payment(), path).status, 401);
    EXPECT_EQ(s().post(s().payment(), path + "/refund", nullptr, other).status, 404);
    EXPECT_EQ(s().get(s().payment(), "/v1/payments/pay_nothing", owner).status, 404);
}

TEST_F(Payment, ARefundHappensOnce) {
    auto id = s().product("PAY-REF", 300, 1);
    auto token = s().login("refund@example.org");
    auto r = s().checkout(token, "ref-1", items(id, 1));
    ASSERT_EQ(r.status, 201);
    auto path = "/v1/payments/" + r.json()["payment_id"].get<std::string>();
    auto refund = s().post(s().payment(), path + "/refund", nullptr, token);
    ASSERT_EQ(refund.status, 200);
    EXPECT_EQ(refund.json()["status"], "refunded");
    EXPECT_EQ(s().post(s().payment(), path + "/refund", nullptr, token).status, 409);
    EXPECT_EQ(s().get(s().payment(), path, token).json()["status"], "refunded");
}

TEST_F(Payment, HundredConcurrentCheckoutsForTenInStockCaptureExactlyTen) {
    auto id = s().product("PAY-RUSH", 1000, 10);
    auto token = s().login("rush@example.org");
    std::map<int, int> statuses;
    std::mutex mutex;
    std::vector<std::thread> buyers;
    for (int i = 0; i < 100; ++i)
        buyers.emplace_back([&, i] {
            int status = -1;
            try {
                status = s().checkout(token, "rush-" + std::to_string(i), items(id, 1)).status;
            } catch (const std::exception&) {
            }
            std::lock_guard lock(mutex);
            ++statuses[status];
        });
    for (auto& b : buyers) b.join();
    // Past payment's handler threads and queue (max_in_flight + max_queue) a checkout is refused
    // with 503 before it starts; every other one either gets stock or is told there is none.
    EXPECT_EQ(statuses[201], 10);
    EXPECT_EQ(statuses[409] + statuses[503], 90);
    EXPECT_EQ(s().stock(id), 0);
    auto captured = sql(s().host().data_dir() / "payment.db",
                        "SELECT COUNT(*) FROM payments WHERE idempotency_key LIKE 'rush-%' AND status = 'captured'");
    EXPECT_EQ(captured, std::vector<std::string>{"10"});
}

TEST_F(Payment, FiftyConcurrentCheckoutsWithOneKeyCreateOnePayment) {
    auto id = s().product("PAY-ONCE", 500, 100);
    auto token = s().login("once@example.org");
    std::vector<std::string> bodies(50);
    std::vector<int> statuses(50, -1);
    std::vector<std::thread> clients;
    for (int i = 0; i < 50; ++i)
        clients.emplace_back([&, i] {
            try {
                auto r = s().checkout(token, "one-key", items(id, 2));
                statuses[i] = r.status;
                bodies[i] = r.body;
            } catch (const std::exception&) {
            }
        });
    for (auto& c : clients) c.join();
    for (int i = 0; i < 50; ++i) {
        EXPECT_EQ(statuses[i], 201) << bodies[i];
        EXPECT_EQ(bodies[i], bodies[0]);
    }
    EXPECT_EQ(s().stock(id), 98);
    auto rows = sql(s().host().data_dir() / "payment.db", "SELECT COUNT(*) FROM payments WHERE idempotency_key = 'one-key'");
    EXPECT_EQ(rows, std::vector<std::string>{"1"});
}

}  // namespace
}  // namespace berth::test
