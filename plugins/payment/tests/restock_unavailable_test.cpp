// payment: a refund that restocks needs products to take the stock back; without products it is
// a 503 and nothing is refunded (a refund without restock still goes through). The payment
// module alone, with a captured payment written as checkout writes one. Real host, real HTTP.
#include "support/shop.hpp"
#include "support/test_host.hpp"

#include <gtest/gtest.h>

#include <stdexcept>

namespace berth::test {
namespace {

// A captured payment of 600 cents (two of product 7), written into payment.db as checkout writes one.
void captured_payment(test_host& host, const std::string& id) {
    sql_exec(host.data_dir() / "payment.db",
             "INSERT INTO payments(id, user_id, idempotency_key, request_hash, status, amount_cents, currency, "
             "card_last4, response_status, response_body) VALUES('" + id + "', 'u1', 'k1', 'v2:x', 'captured', 600, "
             "'EUR', '4242', 201, '{}');"
             "INSERT INTO payment_items VALUES('" + id + "', 7, 2, 300);");
}

// The headers of an operator's JSON request: a payments:read token minted on the admin API.
header_list operator_headers(test_host& host) {
    auto mint = host.admin("POST", "/tokens", nlohmann::json{{"subject", "support"}, {"scope", "payments:read"}}.dump());
    if (mint.status != 201) throw std::runtime_error("minting failed: " + mint.body);
    return {{"Authorization", "Bearer " + mint.json()["token"].get<std::string>()}, {"Content-Type", "application/json"}};
}

TEST(RestockUnavailable, ARestockingRefundWithoutProductsIs503AndRefundsNothing) {
    test_host host({{"payment", shipped_plugin("payment")}});
    const std::string id = "pay_000000000000000000000a11";
    captured_payment(host, id);
    const header_list auth = operator_headers(host);
    const std::string path = "/v1/payments/" + id;

    auto r = http_request(host.port("payment"), "POST", path + "/refund", R"({"amount_cents": 100, "restock": true})", auth);
    ASSERT_EQ(r.status, 503) << r.body;
    EXPECT_EQ(r.header("Content-Type"), "application/problem+json");
    EXPECT_EQ(r.json()["title"], "Products unavailable");
    auto shown = http_request(host.port("payment"), "GET", path, {}, auth).json();
    EXPECT_EQ(shown["refunded_cents"], 0);
    EXPECT_EQ(shown["restocked"], false);
    EXPECT_EQ(shown["refunds"].size(), 0u);

    auto plain = http_request(host.port("payment"), "POST", path + "/refund", R"({"amount_cents": 100})", auth);
    EXPECT_EQ(plain.status, 200) << plain.body;  // the money alone does not need products
}

// The 503 stores nothing under an Idempotency-Key: the key is free for another request.
TEST(RestockUnavailable, AKeyWhoseRestockGot503IsFree) {
    test_host host({{"payment", shipped_plugin("payment")}});
    const std::string id = "pay_000000000000000000000a12";
    captured_payment(host, id);
    header_list auth = operator_headers(host);
    auth.emplace_back("Idempotency-Key", "return-7");
    const std::string path = "/v1/payments/" + id + "/refund";
    auto refused = http_request(host.port("payment"), "POST", path, R"({"amount_cents": 100, "restock": true})", auth);
    ASSERT_EQ(refused.status, 503) << refused.body;
    auto other = http_request(host.port("payment"), "POST", path, R"({"amount_cents": 100})", auth);
    EXPECT_EQ(other.status, 200) << other.body;  // not 409 "Idempotency-Key reused"
    EXPECT_EQ(other.header("Idempotent-Replayed"), "");
}

}  // namespace
}  // namespace berth::test
