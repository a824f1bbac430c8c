// payment: a checkout whose hold was released before its commit (an operator's cancel, or the
// hold's expiry) charges nothing: 409 Checkout expired, no payment listed, and the key is free,
// so a retry runs afresh (it is no replay). products is a stand-in that holds every reservation
// and answers every commit as products answers one for a released hold. Real host, real HTTP.
#include "support/shop.hpp"
#include "support/test_host.hpp"

#include <gtest/gtest.h>

namespace berth::test {
namespace {

TEST(CheckoutExpired, AHoldReleasedBeforeTheCommitChargesNothingAndFreesTheKey) {
    test_host host({{"payment", shipped_plugin("payment")}, {"products", test_plugin("payment_products_stand_in")}});
    auto mint = host.admin("POST", "/tokens", nlohmann::json{{"subject", "u1"}, {"scope", "user"}}.dump());
    ASSERT_EQ(mint.status, 201) << mint.body;
    const std::string token = mint.json()["token"];
    const std::string body =
        nlohmann::json{{"items", {{{"product_id", 7}, {"quantity", 2}}}}, {"card", shop::card()}}.dump();
    auto checkout = [&] {
        return http_request(host.port("payment"), "POST", "/v1/checkouts", body,
                            {{"Authorization", "Bearer " + token}, {"Content-Type", "application/json"}, {"Idempotency-Key", "exp-1"}});
    };
    auto commits = [&] { return http_request(host.port("products"), "GET", "/v1/commits").json()["commits"].get<int>(); };

    auto r = checkout();
    ASSERT_EQ(r.status, 409) << r.body;
    EXPECT_EQ(r.json()["title"], "Checkout expired");
    EXPECT_EQ(commits(), 1);
    auto listed = http_request(host.port("payment"), "GET", "/v1/payments", {}, {{"Authorization", "Bearer " + token}});
    ASSERT_EQ(listed.status, 200) << listed.body;
    EXPECT_TRUE(listed.json()["items"].empty()) << listed.body;

    auto again = checkout();  // the key was freed: a fresh attempt, which reaches products again
    EXPECT_EQ(again.status, 409) << again.body;
    EXPECT_EQ(again.header("Idempotent-Replayed"), "") << "a freed key is not replayed";
    EXPECT_EQ(commits(), 2);
}

}  // namespace
}  // namespace berth::test
