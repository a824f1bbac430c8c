// payment: a refund sent with an Idempotency-Key is made once however often it is retried: the
// retry with the same request gets the payment as it now is (Idempotent-Replayed: true), another
// request under the key is 409, a refusal stores nothing, the key belongs to one payment and one
// caller, and it expires after idempotency_ttl_s (on use, and by the sweep). A payment takes at
// most 100 refunds, the last for all that remains. Real host, real HTTP; the sweep runs every
// 100 ms here.
#include "keyed_shop.hpp"
#include "support/eventually.hpp"
#include "support/shop.hpp"

#include <gtest/gtest.h>
#include <sodium.h>

#include <fstream>
#include <thread>

namespace berth::test {
namespace {

class RefundKeys : public ::testing::Test {
protected:
    static void SetUpTestSuite() {
        shop_ = new shop({}, {{"payment", {{"idempotency_ttl_s", 60}, {"settle_interval_ms", 100}}}});
    }
    static void TearDownTestSuite() { delete shop_; }
    static shop& s() { return *shop_; }
    static std::filesystem::path payments() { return s().host().data_dir() / "payment.db"; }

    static std::string bought(const std::string& sku, const std::string& token, long long price) {
        return keyed_shop::bought(s(), sku, token, price);
    }
    static reply refund(const std::string& path, const nlohmann::json& body, const std::string& token,
                        const std::string& key) {
        return s().post(s().payment(), path + "/refund", body, token, {{"Idempotency-Key", key}});
    }
    static nlohmann::json shown(const std::string& path, const std::string& token) {
        return s().get(s().payment(), path, token).json();
    }
    static void age_refund(const std::string& key, int seconds) { keyed_shop::age_key(payments(), key, seconds, "refunds"); }
    static shop* shop_;
};
shop* RefundKeys::shop_ = nullptr;

TEST_F(RefundKeys, ARetryWithTheSameKeyAndRequestReplaysTheFirstAnswer) {
    auto token = s().login("refund-retry@example.org");
    auto path = bought("RK-RETRY", token, 1000);
    auto first = refund(path, {{"amount_cents", 300}, {"reason", "scratched"}}, token, "refund-retry-1");
    ASSERT_EQ(first.status, 200) << first.body;
    EXPECT_EQ(first.header("Idempotent-Replayed"), "");
    auto again = refund(path, {{"amount_cents", 300}, {"reason", "scratched"}}, token, "refund-retry-1");
    ASSERT_EQ(again.status, 200) << again.body;
    EXPECT_EQ(again.header("Idempotent-Replayed"), "true");
    EXPECT_EQ(again.header("Content-Type"), "application/json");
    EXPECT_EQ(again.json(), first.json());
    auto now = shown(path, token);
    EXPECT_EQ(now["refunded_cents"], 300);
    EXPECT_EQ(now["refunds"].size(), 1u);
}

TEST_F(RefundKeys, AReplayShowsThePaymentAsItNowIs) {
    auto token = s().login("refund-now@example.org");
    auto path = bought("RK-NOW", token, 1000);
    ASSERT_EQ(refund(path, {{"amount_cents", 100}}, token, "refund-now").status, 200);
    ASSERT_EQ(s().post(s().payment(), path + "/refund", {{"amount_cents", 200}}, token).status, 200);
    auto again = refund(path, {{"amount_cents", 100}}, token, "refund-now");
    ASSERT_EQ(again.status, 200) << again.body;
    EXPECT_EQ(again.header("Idempotent-Replayed"), "true");
    EXPECT_EQ(again.json()["refunded_cents"], 300);
    EXPECT_EQ(again.json()["refunds"].size(), 2u);
    EXPECT_EQ(again.json(), shown(path, token));
}

TEST_F(RefundKeys, AReplayOfAWholeRefundIsNotAlreadyRefunded) {
    auto token = s().login("refund-whole@example.org");
    auto path = bought("RK-WHOLE", token, 800);
    ASSERT_EQ(refund(path, nullptr, token, "refund-whole").status, 200);
    auto again = refund(path, nullptr, token, "refund-whole");
    ASSERT_EQ(again.status, 200) << again.body;  // not 409 Already refunded: this is the same refund
    EXPECT_EQ(again.json()["status"], "refunded");
    EXPECT_EQ(again.header("Idempotent-Replayed"), "true");
    // No body and an empty object ask for the same thing.
    EXPECT_EQ(refund(path, nlohmann::json::object(), token, "refund-whole").status, 200);
    // Without the key it is another refund, and nothing remains.
    EXPECT_EQ(s().post(s().payment(), path + "/refund", nullptr, token).status, 409);
}

TEST_F(RefundKeys, AnotherRequestUnderTheKeyIsRefusedAndRefundsNothing) {
    auto token = s().login("refund-reuse@example.org");
    auto path = bought("RK-REUSE", token, 1000);
    auto first = refund(path, {{"amount_cents", 300}}, token, "refund-reuse");
    ASSERT_EQ(first.status, 200) << first.body;
    for (const nlohmann::json& other : {nlohmann::json{{"amount_cents", 400}},
                                        nlohmann::json{{"amount_cents", 300}, {"reason", "another"}}, nlohmann::json(nullptr)}) {
        auto r = refund(path, other, token, "refund-reuse");
        ASSERT_EQ(r.status, 409) << other << " " << r.body;
        EXPECT_EQ(r.header("Content-Type"), "application/problem+json");
        EXPECT_EQ(r.json()["title"], "Idempotency-Key reused");
        EXPECT_EQ(r.json()["refund_id"], first.json()["refunds"][0]["refund_id"]);
    }
    EXPECT_EQ(shown(path, token)["refunded_cents"], 300);
}

TEST_F(RefundKeys, ARefusalUnderAKeyStoresNothingAndLeavesTheKeyFree) {
    auto token = s().login("refund-refused@example.org");
    auto path = bought("RK-REFUSED", token, 500);
    auto too_much = refund(path, {{"amount_cents", 501}}, token, "refund-refused");
    ASSERT_EQ(too_much.status, 422) << too_much.body;
    auto restock = refund(path, {{"amount_cents", 200}, {"restock", true}}, token, "refund-refused");
    ASSERT_EQ(restock.status, 403) << restock.body;  // an owner may not restock
    auto done = refund(path, {{"amount_cents", 200}}, token, "refund-refused");
    ASSERT_EQ(done.status, 200) << done.body;
    EXPECT_EQ(done.header("Idempotent-Replayed"), "");
    EXPECT_EQ(shown(path, token)["refunded_cents"], 200);
}

TEST_F(RefundKeys, AKeyBelongsToOnePaymentAndOneCaller) {
    auto token = s().login("refund-scope@example.org");
    auto one = bought("RK-SCOPE-1", token, 1000);
    auto two = bought("RK-SCOPE-2", token, 1000);
    ASSERT_EQ(refund(one, {{"amount_cents", 100}}, token, "refund-scope").status, 200);
    auto other_payment = refund(two, {{"amount_cents", 100}}, token, "refund-scope");
    ASSERT_EQ(other_payment.status, 200) << other_payment.body;
    EXPECT_EQ(other_payment.header("Idempotent-Replayed"), "");
    auto support = s().mint_token("support-refund-keys", "payments:read");
    auto other_caller = refund(one, {{"amount_cents", 100}}, support, "refund-scope");
    ASSERT_EQ(other_caller.status, 200) << other_caller.body;
    EXPECT_EQ(other_caller.header("Idempotent-Replayed"), "");
    EXPECT_EQ(shown(one, token)["refunded_cents"], 200);
    EXPECT_EQ(shown(two, token)["refunded_cents"], 100);
}

TEST_F(RefundKeys, AnotherUsersKeyNeverRevealsTheirPayment) {
    auto owner = s().login("refund-owner@example.org");
    auto path = bought("RK-OWNER", owner, 1000);
    ASSERT_EQ(refund(path, {{"amount_cents", 100}}, owner, "refund-owner").status, 200);
    auto stranger = s().login("refund-stranger@example.org");
    auto r = refund(path, {{"amount_cents", 100}}, stranger, "refund-owner");
    EXPECT_EQ(r.status, 404) << r.body;
    EXPECT_EQ(r.body.find("refund_id"), std::string::npos);
}

TEST_F(RefundKeys, TwentyRetriesAtOnceRefundOnce) {
    auto token = s().login("refund-storm@example.org");
    auto path = bought("RK-STORM", token, 1000);
    std::vector<reply> replies(20);
    std::vector<std::thread> threads;
    for (auto& r : replies)
        threads.emplace_back([&] { r = refund(path, {{"amount_cents", 250}}, token, "refund-storm"); });
    for (auto& t : threads) t.join();
    int replayed = 0;
    for (auto& r : replies) {
        ASSERT_EQ(r.status, 200) << r.body;
        replayed += r.header("Idempotent-Replayed") == "true";
    }
    EXPECT_EQ(replayed, 19);
    auto now = shown(path, token);
    EXPECT_EQ(now["refunded_cents"], 250);
    EXPECT_EQ(now["refunds"].size(), 1u);
}

TEST_F(RefundKeys, AnEmptyKeyOrOneOfMoreThan255BytesIsRefused) {
    auto token = s().login("refund-long-key@example.org");
    auto path = bought("RK-LONG", token, 1000);
    for (const std::string& key : {std::string(256, 'k'), std::string()}) {
        auto r = refund(path, {{"amount_cents", 100}}, token, key);
        ASSERT_EQ(r.status, 400) << r.body;
        EXPECT_EQ(r.header("Content-Type"), "application/problem+json");
        EXPECT_EQ(r.json()["title"], "Bad Idempotency-Key");
        EXPECT_EQ(r.json()["errors"][0]["in"], "header");
        EXPECT_EQ(r.json()["errors"][0]["pointer"], "/Idempotency-Key");
    }
    EXPECT_EQ(shown(path, token)["refunded_cents"], 0);
    EXPECT_EQ(refund(path, {{"amount_cents", 100}}, token, std::string(255, 'k')).status, 200);
}

TEST_F(RefundKeys, AnExpiredKeyIsAFreshRefund) {
    auto token = s().login("refund-expired@example.org");
    auto path = bought("RK-EXPIRED", token, 1000);
    ASSERT_EQ(refund(path, {{"amount_cents", 100}}, token, "refund-expired").status, 200);
    age_refund("refund-expired", 61);
    auto later = refund(path, {{"amount_cents", 100}}, token, "refund-expired");
    ASSERT_EQ(later.status, 200) << later.body;
    EXPECT_EQ(later.header("Idempotent-Replayed"), "");
    EXPECT_EQ(later.json()["refunded_cents"], 200);
}

TEST_F(RefundKeys, TheSweepFreesExpiredKeysAndKeepsTheRefunds) {
    auto token = s().login("refund-sweep@example.org");
    auto path = bought("RK-SWEEP", token, 1000);
    auto first = refund(path, {{"amount_cents", 100}}, token, "refund-sweep");
    ASSERT_EQ(first.status, 200) << first.body;
    const std::string refund_id = first.json()["refunds"][0]["refund_id"];
    age_refund("refund-sweep", 61);
    const std::string query = "SELECT IFNULL(idempotency_key, '-') || IFNULL(request_hash, '-') "
                              "FROM refunds WHERE id = '" + refund_id + "'";
    eventually([&] { return sql(payments(), query) == std::vector<std::string>{"--"}; });
    EXPECT_EQ(sql(payments(), query), std::vector<std::string>{"--"});
    EXPECT_EQ(shown(path, token)["refunds"].size(), 1u);
}

// The fingerprint is an HMAC under payment's own key file, as for checkouts: a copy of the
// database alone cannot confirm a guess at what was asked.
TEST_F(RefundKeys, TheStoredFingerprintIsKeyedByThePaymentModulesKeyFile) {
    auto token = s().login("refund-hash@example.org");
    auto path = bought("RK-HASH", token, 1000);
    ASSERT_EQ(refund(path, {{"amount_cents", 100}, {"reason", "dented lid"}}, token, "refund-hash").status, 200);
    auto stored = sql(payments(), "SELECT request_hash FROM refunds WHERE idempotency_key = 'refund-hash'");
    ASSERT_EQ(stored.size(), 1u);

    std::ifstream file(s().host().data_dir() / "payment.fingerprint.key");
    std::string hex;
    file >> hex;
    unsigned char key[crypto_auth_hmacsha256_KEYBYTES];
    ASSERT_EQ(sodium_hex2bin(key, sizeof key, hex.data(), hex.size(), nullptr, nullptr, nullptr), 0);
    const std::string asked = "refund\n" + nlohmann::json{{"amount_cents", 100}, {"restock", false}, {"reason", "dented lid"}}.dump();
    unsigned char mac[crypto_auth_hmacsha256_BYTES];
    crypto_auth_hmacsha256(mac, reinterpret_cast<const unsigned char*>(asked.data()), asked.size(), key);
    char mac_hex[2 * sizeof mac + 1];
    sodium_bin2hex(mac_hex, sizeof mac_hex, mac, sizeof mac);
    EXPECT_EQ(stored[0], std::string("v2:") + mac_hex);
}

// A restock that products took while another request under the same key won the refund is still
// recorded on the payment (the stock is back). The race is not forced, so each round is a fresh
// payment and the rule is checked whichever request won.
TEST_F(RefundKeys, AStockReturnLostToTheKeysOtherRequestIsStillRecorded) {
    auto token = s().login("refund-restock-race@example.org");
    auto support = s().mint_token("support-restock-race", "payments:read");
    for (int round = 0; round < 8; ++round) {
        const std::string sku = "RK-RACE-" + std::to_string(round);
        auto path = bought(sku, token, 1000);
        const long long product = s().get(s().payment(), path, token).json()["items"][0]["product_id"];
        const long long before = s().stock(product);
        reply restock, plain;
        std::thread a([&] { restock = refund(path, {{"amount_cents", 100}, {"restock", true}}, support, "race"); });
        std::thread b([&] { plain = refund(path, {{"amount_cents", 100}}, support, "race"); });
        a.join();
        b.join();
        ASSERT_TRUE(restock.status == 200 || restock.status == 409) << restock.body;
        ASSERT_TRUE(plain.status == 200 || plain.status == 409) << plain.body;
        ASSERT_NE(restock.status, plain.status) << restock.body << plain.body;  // one refund, one refusal
        auto now = shown(path, token);
        EXPECT_EQ(now["refunded_cents"], 100);
        EXPECT_EQ(now["restocked"], s().stock(product) == before + 1) << "round " << round << ": " << now;
    }
}

TEST_F(RefundKeys, ThePaymentsHundredthRefundTakesAllThatRemains) {
    auto token = s().login("refund-many@example.org");
    auto path = bought("RK-MANY", token, 1000);
    for (int i = 0; i < 99; ++i) {
        auto r = s().post(s().payment(), path + "/refund", {{"amount_cents", 1}}, token, {{"Idempotency-Key", "many-" + std::to_string(i)}});
        ASSERT_EQ(r.status, 200) << i << ": " << r.body;
    }
    auto small = refund(path, {{"amount_cents", 1}}, token, "many-last");
    ASSERT_EQ(small.status, 409) << small.body;
    EXPECT_EQ(small.json()["title"], "Too many refunds");
    EXPECT_EQ(small.json()["remaining_cents"], 901);
    auto last = refund(path, nullptr, token, "many-last");  // the refusal left the key free
    ASSERT_EQ(last.status, 200) << last.body;
    EXPECT_EQ(last.json()["status"], "refunded");
    EXPECT_EQ(last.json()["refunds"].size(), 100u);
}

}  // namespace
}  // namespace berth::test
