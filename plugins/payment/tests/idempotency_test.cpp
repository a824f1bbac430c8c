// payment: the Idempotency-Key rules as docs/shop.md "Idempotency" states them. A result is
// stored once execution began (201, 402, 409 out of stock) and replayed marked
// Idempotent-Replayed; refusals before it (400, 415, 422) store nothing; keys expire after
// idempotency_ttl_s, found so by the request that uses one. Real host, real HTTP.
#include "keyed_shop.hpp"
#include "support/shop.hpp"

#include <gtest/gtest.h>

namespace berth::test {
namespace {

class Idempotency : public ::testing::Test {
protected:
    // Keys live 60 s here; a test ages a key by moving its row's created_at back. The sweep runs
    // at start and then hourly, so an aged key is found expired by the request itself, never by
    // the sweep (key_sweep_test.cpp tests the sweep).
    static void SetUpTestSuite() {
        shop_ = new shop({}, {{"payment", {{"idempotency_ttl_s", 60}, {"settle_interval_ms", 3600000}}}});
    }
    static void TearDownTestSuite() { delete shop_; }
    static shop& s() { return *shop_; }
    static nlohmann::json items(long long product, long long quantity) { return keyed_shop::items(product, quantity); }
    static std::filesystem::path payments() { return s().host().data_dir() / "payment.db"; }
    static void age_key(const std::string& key, int seconds) { keyed_shop::age_key(payments(), key, seconds); }
    static void restock(long long product, long long quantity) {
        auto r = s().post(s().products(), "/v1/products/" + std::to_string(product) + "/restock", {{"quantity", quantity}},
                          s().admin_token());
        ASSERT_EQ(r.status, 200) << r.body;
    }
    static shop* shop_;
};
shop* Idempotency::shop_ = nullptr;

TEST_F(Idempotency, AFirstAnswerIsNotMarkedAndSaysWhereThePaymentIs) {
    auto id = s().product("IDEM-LOC", 100, 5);
    auto r = s().checkout(s().login("idem-loc@example.org"), "loc-1", items(id, 1));
    ASSERT_EQ(r.status, 201) << r.body;
    EXPECT_EQ(r.header("Location"), "/v1/payments/" + r.json()["payment_id"].get<std::string>());
    EXPECT_EQ(r.header("Idempotent-Replayed"), "");
}

TEST_F(Idempotency, AReplayIsMarkedAndCarriesTheSameLocation) {
    auto id = s().product("IDEM-MARK", 100, 5);
    auto token = s().login("idem-mark@example.org");
    auto first = s().checkout(token, "mark-1", items(id, 1));
    ASSERT_EQ(first.status, 201) << first.body;
    auto again = s().checkout(token, "mark-1", items(id, 1));
    ASSERT_EQ(again.status, 201) << again.body;
    EXPECT_EQ(again.header("Idempotent-Replayed"), "true");
    EXPECT_EQ(again.header("Location"), first.header("Location"));
    EXPECT_EQ(again.json(), first.json());
    EXPECT_EQ(s().stock(id), 4);
}

TEST_F(Idempotency, AnOutOfStockAnswerIsStoredAndReplayedMarkedAfterARestock) {
    auto id = s().product("IDEM-OOS", 100, 1);
    auto token = s().login("idem-oos@example.org");
    auto first = s().checkout(token, "oos-1", items(id, 5));
    ASSERT_EQ(first.status, 409) << first.body;
    restock(id, 10);
    auto again = s().checkout(token, "oos-1", items(id, 5));
    EXPECT_EQ(again.status, 409);
    EXPECT_EQ(again.header("Idempotent-Replayed"), "true");
    EXPECT_EQ(again.json(), first.json());  // the stored answer, stale numbers and all
    EXPECT_EQ(s().stock(id), 11);
    EXPECT_EQ(s().checkout(token, "oos-2", items(id, 5)).status, 201);  // a new key is a new attempt
}

TEST_F(Idempotency, ADeclinedCardIsStoredAndReplayedMarked) {
    auto id = s().product("IDEM-402", 100, 5);
    auto token = s().login("idem-402@example.org");
    auto first = s().checkout(token, "402-1", items(id, 1), shop::card("4000000000000002"));
    ASSERT_EQ(first.status, 402) << first.body;
    auto again = s().checkout(token, "402-1", items(id, 1), shop::card("4000000000000002"));
    EXPECT_EQ(again.status, 402);
    EXPECT_EQ(again.header("Idempotent-Replayed"), "true");
    EXPECT_EQ(again.json(), first.json());
}

TEST_F(Idempotency, AFailedLuhnCheckStoresNothingSoTheFixedBodyIsCharged) {
    auto id = s().product("IDEM-LUHN", 100, 5);
    auto token = s().login("idem-luhn@example.org");
    ASSERT_EQ(s().checkout(token, "luhn-1", items(id, 1), shop::card("4242424242424241")).status, 422);
    auto fixed = s().checkout(token, "luhn-1", items(id, 1), shop::card("4242424242424242"));
    EXPECT_EQ(fixed.status, 201) << fixed.body;
    EXPECT_EQ(fixed.header("Idempotent-Replayed"), "");
    EXPECT_EQ(s().stock(id), 4);
}

TEST_F(Idempotency, AnUnknownProductStoresNothingSoTheFixedBodyIsCharged) {
    auto id = s().product("IDEM-UNKNOWN", 100, 5);
    auto token = s().login("idem-unknown@example.org");
    ASSERT_EQ(s().checkout(token, "unknown-1", items(999999, 1)).status, 422);
    auto fixed = s().checkout(token, "unknown-1", items(id, 1));
    EXPECT_EQ(fixed.status, 201) << fixed.body;
    EXPECT_EQ(s().stock(id), 4);
}

TEST_F(Idempotency, ABodyRefusedAtTheEdgeStoresNothingSoTheKeyCanBeUsed) {
    auto id = s().product("IDEM-400", 100, 5);
    auto token = s().login("idem-400@example.org");
    auto bad = s().post(s().payment(), "/v1/checkouts", {{"items", "two lamps"}, {"card", shop::card()}}, token,
                        {{"Idempotency-Key", "400-1"}});
    ASSERT_EQ(bad.status, 400) << bad.body;
    auto fixed = s().checkout(token, "400-1", items(id, 1));
    EXPECT_EQ(fixed.status, 201) << fixed.body;
    EXPECT_EQ(fixed.header("Idempotent-Replayed"), "");
}

TEST_F(Idempotency, AnUnsupportedMediaTypeStoresNothingSoTheKeyCanBeUsed) {
    auto id = s().product("IDEM-415", 100, 5);
    auto token = s().login("idem-415@example.org");
    const std::string body = nlohmann::json{{"items", items(id, 1)}, {"card", shop::card()}}.dump();
    auto bad = http_request(s().payment(), "POST", "/v1/checkouts", body,
                            {{"Content-Type", "text/plain"}, {"Authorization", "Bearer " + token}, {"Idempotency-Key", "415-1"}});
    ASSERT_EQ(bad.status, 415) << bad.body;
    EXPECT_EQ(s().checkout(token, "415-1", items(id, 1)).status, 201);
}

TEST_F(Idempotency, AKeyOlderThanItsTtlIsAFreshRequest) {
    auto id = s().product("IDEM-TTL", 100, 5);
    auto token = s().login("idem-ttl@example.org");
    auto first = s().checkout(token, "ttl-1", items(id, 1));
    ASSERT_EQ(first.status, 201) << first.body;
    age_key("ttl-1", 61);
    auto again = s().checkout(token, "ttl-1", items(id, 1));
    ASSERT_EQ(again.status, 201) << again.body;
    EXPECT_NE(again.json()["payment_id"], first.json()["payment_id"]);
    EXPECT_EQ(again.header("Idempotent-Replayed"), "");
    EXPECT_EQ(s().stock(id), 3);  // charged twice: the second is a new payment
    // The first payment keeps its row.
    EXPECT_EQ(s().get(s().payment(), first.header("Location"), token).status, 200);
}

TEST_F(Idempotency, AKeyYoungerThanItsTtlStillReplays) {
    auto id = s().product("IDEM-YOUNG", 100, 5);
    auto token = s().login("idem-young@example.org");
    auto first = s().checkout(token, "young-1", items(id, 1));
    ASSERT_EQ(first.status, 201) << first.body;
    age_key("young-1", 50);
    auto again = s().checkout(token, "young-1", items(id, 1));
    EXPECT_EQ(again.header("Idempotent-Replayed"), "true");
    EXPECT_EQ(again.json(), first.json());
}

TEST_F(Idempotency, AnExpiredKeyUsedWithAnotherBodyIsAFreshRequest) {
    auto id = s().product("IDEM-TTL-BODY", 100, 5);
    auto token = s().login("idem-ttl-body@example.org");
    ASSERT_EQ(s().checkout(token, "ttlb-1", items(id, 1)).status, 201);
    age_key("ttlb-1", 61);
    EXPECT_EQ(s().checkout(token, "ttlb-1", items(id, 2)).status, 201);  // not "Idempotency-Key reused"
    EXPECT_EQ(s().stock(id), 2);
}

}  // namespace
}  // namespace berth::test
