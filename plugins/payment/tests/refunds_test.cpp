// payment: refunds, whole or partial, up to what remains; each recorded on the payment; the
// stock put back once when asked; the owner or an operator with payments:read may refund.
// Real host, real HTTP.
#include "keyed_shop.hpp"
#include "support/eventually.hpp"
#include "support/shop.hpp"

#include <gtest/gtest.h>
#include <sqlite3.h>

#include <map>
#include <mutex>
#include <thread>

namespace berth::test {
namespace {

class Refunds : public ::testing::Test {
protected:
    static void SetUpTestSuite() { shop_ = new shop(); }
    static void TearDownTestSuite() { delete shop_; }
    static shop& s() { return *shop_; }
    static std::filesystem::path payments() { return s().host().data_dir() / "payment.db"; }

    // A captured payment of `quantity` units at `price` cents; returns its path.
    static std::string bought(const std::string& sku, const std::string& token, long long price, long long quantity = 1,
                              long long stock = 10) {
        return keyed_shop::bought(s(), sku, token, price, quantity, stock);
    }
    static reply refund(const std::string& path, const nlohmann::json& body, const std::string& token) {
        return s().post(s().payment(), path + "/refund", body, token);
    }
    static long long product_of(const std::string& path, const std::string& token) {
        return s().get(s().payment(), path, token).json()["items"][0]["product_id"];
    }
    static std::string operator_token() { return s().mint_token("support-restock", "payments:read"); }
    static shop* shop_;
};
shop* Refunds::shop_ = nullptr;

TEST_F(Refunds, PartialRefundsUpToTheAmountThenTheStatusIsRefunded) {
    auto token = s().login("partial@example.org");
    auto path = bought("REF-PART", token, 1000);
    auto first = refund(path, {{"amount_cents", 300}}, token);
    ASSERT_EQ(first.status, 200) << first.body;
    EXPECT_EQ(first.json()["status"], "captured");  // partially refunded
    EXPECT_EQ(first.json()["refunded_cents"], 300);
    auto second = refund(path, {{"amount_cents", 700}}, token);
    ASSERT_EQ(second.status, 200) << second.body;
    EXPECT_EQ(second.json()["status"], "refunded");
    EXPECT_EQ(second.json()["refunded_cents"], 1000);
    auto refunds = second.json()["refunds"];
    ASSERT_EQ(refunds.size(), 2u);
    EXPECT_EQ(refunds[0]["amount_cents"], 300);
    EXPECT_EQ(refunds[1]["amount_cents"], 700);
    EXPECT_EQ(s().get(s().payment(), path, token).json(), second.json());
}

TEST_F(Refunds, ARefundOnceNothingRemainsIsRefused) {
    auto token = s().login("nothing-left@example.org");
    auto path = bought("REF-NONE-LEFT", token, 500);
    ASSERT_EQ(refund(path, {{"amount_cents", 500}}, token).status, 200);
    auto again = refund(path, {{"amount_cents", 1}}, token);
    EXPECT_EQ(again.status, 409);
    EXPECT_EQ(again.json()["title"], "Already refunded");
}

TEST_F(Refunds, ARefundOverWhatRemainsIsRefusedWithTheRemainder) {
    auto token = s().login("too-much@example.org");
    auto path = bought("REF-TOO-MUCH", token, 1000);
    ASSERT_EQ(refund(path, {{"amount_cents", 400}}, token).status, 200);
    auto r = refund(path, {{"amount_cents", 700}}, token);
    ASSERT_EQ(r.status, 422) << r.body;
    EXPECT_EQ(r.json()["title"], "Amount too large");
    EXPECT_EQ(r.json()["remaining_cents"], 600);
    EXPECT_NE(r.json()["detail"].get<std::string>().find("600"), std::string::npos);
    EXPECT_EQ(s().get(s().payment(), path, token).json()["refunded_cents"], 400);
}

TEST_F(Refunds, ARefundWithoutABodyRefundsWhatRemains) {
    auto token = s().login("rest@example.org");
    auto path = bought("REF-REST", token, 800);
    ASSERT_EQ(refund(path, {{"amount_cents", 250}}, token).status, 200);
    auto r = refund(path, nullptr, token);
    ASSERT_EQ(r.status, 200) << r.body;
    EXPECT_EQ(r.json()["status"], "refunded");
    EXPECT_EQ(r.json()["refunds"][1]["amount_cents"], 550);
    EXPECT_EQ(r.json()["refunds"][1]["restocked"], false);
}

TEST_F(Refunds, ARefundRecordsItsTrimmedReasonAndWhoAsked) {
    auto token = s().login("reason@example.org");
    auto path = bought("REF-REASON", token, 900);
    auto r = refund(path, {{"amount_cents", 100}, {"reason", "  arrived damaged "}}, token);
    ASSERT_EQ(r.status, 200) << r.body;
    auto refund = r.json()["refunds"][0];
    EXPECT_EQ(refund["reason"], "arrived damaged");
    EXPECT_EQ(refund["restocked"], false);
    EXPECT_EQ(sql(payments(), "SELECT subject FROM refunds WHERE id = '" + refund["refund_id"].get<std::string>() + "'"),
              std::vector<std::string>{r.json()["user_id"].get<std::string>()});
}

TEST_F(Refunds, ARefundReasonIsTrimmedOfUnicodeWhitespace) {
    auto token = s().login("reason-unicode@example.org");
    auto path = bought("REF-REASON-U", token, 900);
    auto r = refund(path, {{"amount_cents", 100}, {"reason", "\u00a0\u3000arrived damaged\u2003\u200b"}}, token);
    ASSERT_EQ(r.status, 200) << r.body;
    EXPECT_EQ(r.json()["refunds"][0]["reason"], "arrived damaged");
}

TEST_F(Refunds, BadRefundBodiesAreRefusedWithTheirPointerAndRefundNothing) {
    auto token = s().login("bad-body@example.org");
    auto path = bought("REF-BAD", token, 900);
    const std::vector<std::pair<nlohmann::json, std::string>> rows = {
        {{{"amount_cents", 0}}, "/amount_cents"},     {{{"amount_cents", "100"}}, "/amount_cents"},
        {{{"restock", "yes"}}, "/restock"},           {{{"reason", "   "}}, "/reason"},
        {{{"reason", std::string(201, 'x')}}, "/reason"}, {{{"amount", 100}}, "/amount"},
        {{{"reason", "\u3000\u00a0\u200b"}}, "/reason"},  // Unicode blanks only
        {{{"reason", "bad\u001b[2Jthing"}}, "/reason"},     // a terminal escape
        {{{"reason", std::string("nul\0here", 8)}}, "/reason"},
        {nlohmann::json::array({1}), ""},
    };
    for (auto& [body, pointer] : rows) {
        SCOPED_TRACE(body.dump());
        auto r = refund(path, body, token);
        ASSERT_EQ(r.status, 400) << r.body;
        EXPECT_EQ(r.header("Content-Type"), "application/problem+json");
        EXPECT_EQ(r.json()["errors"][0]["pointer"], pointer);
    }
    EXPECT_EQ(s().get(s().payment(), path, token).json()["refunded_cents"], 0);
}

TEST_F(Refunds, ABodyOfManyUnknownMembersGetsABoundedAnswer) {
    auto token = s().login("many@example.org");
    auto path = bought("REF-MANY", token, 900);
    nlohmann::json body = nlohmann::json::object();
    for (int i = 0; i < 1000; ++i) body["m" + std::to_string(i)] = i;
    body["a/b~c"] = 1;
    auto r = refund(path, body, token);
    ASSERT_EQ(r.status, 400) << r.body;
    EXPECT_GE(r.json()["errors"].size(), 1u);
    EXPECT_LE(r.json()["errors"].size(), 50u);  // the host's bound on the violations it lists
    auto escaped = refund(path, {{"a/b~c", 1}}, token);
    ASSERT_EQ(escaped.status, 400);
    EXPECT_EQ(escaped.json()["errors"][0]["pointer"], "/a~1b~0c");  // RFC 6901
}

TEST_F(Refunds, ThePublishedContractShowsTheOptionalRefundBody) {
    auto doc = http_request(s().payment(), "GET", "/openapi.json");
    ASSERT_EQ(doc.status, 200) << doc.body;
    auto body = doc.json()["paths"]["/v1/payments/{id}/refund"]["post"]["requestBody"];
    EXPECT_EQ(body["required"], false);
    auto schema = body["content"]["application/json"]["schema"];
    EXPECT_EQ(schema["additionalProperties"], false);
    for (auto name : {"amount_cents", "restock", "reason"}) EXPECT_TRUE(schema["properties"].contains(name)) << name;
    EXPECT_EQ(schema["properties"]["amount_cents"]["minimum"], 1);
    EXPECT_EQ(schema["properties"]["reason"]["maxLength"], 200);
}

TEST_F(Refunds, ARefundBodyOfAnotherMediaTypeIsRefused) {
    auto token = s().login("media@example.org");
    auto path = bought("REF-415", token, 900);
    auto r = http_request(s().payment(), "POST", path + "/refund", "amount_cents=1",
                          {{"Content-Type", "application/x-www-form-urlencoded"}, {"Authorization", "Bearer " + token}});
    EXPECT_EQ(r.status, 415);
    EXPECT_EQ(s().get(s().payment(), path, token).json()["status"], "captured");
}

TEST_F(Refunds, RestockPutsTheItemsBackOnce) {
    // Needs products' POST /v1/stock-returns (issue 12, the products work).
    auto token = s().login("restock@example.org");
    auto path = bought("REF-RESTOCK", token, 200, 3, 5);
    const long long product = product_of(path, token);
    ASSERT_EQ(s().stock(product), 2);
    auto r = refund(path, {{"amount_cents", 100}, {"restock", true}}, operator_token());
    ASSERT_EQ(r.status, 200) << r.body;
    EXPECT_EQ(r.json()["restocked"], true);
    EXPECT_EQ(r.json()["refunds"][0]["restocked"], true);
    EXPECT_EQ(s().stock(product), 5);
    auto again = refund(path, {{"amount_cents", 100}, {"restock", true}}, operator_token());
    EXPECT_EQ(again.status, 409);
    EXPECT_EQ(again.json()["title"], "Already restocked");
    EXPECT_EQ(s().stock(product), 5);
    EXPECT_EQ(s().get(s().payment(), path, token).json()["refunded_cents"], 100);
}

TEST_F(Refunds, AnOwnerCannotAskForARestock) {
    // Restocking is the operator's decision: an owner could otherwise refund 1 cent, keep the goods
    // and put them all back in stock.
    auto token = s().login("owner-restock@example.org");
    auto path = bought("REF-OWNER-RESTOCK", token, 200, 3, 5);
    const long long product = product_of(path, token);
    auto r = refund(path, {{"amount_cents", 1}, {"restock", true}}, token);
    ASSERT_EQ(r.status, 403) << r.body;
    EXPECT_EQ(r.header("Content-Type"), "application/problem+json");
    EXPECT_EQ(r.json()["errors"][0]["pointer"], "/restock");
    EXPECT_EQ(s().stock(product), 2);
    auto shown = s().get(s().payment(), path, token).json();
    EXPECT_EQ(shown["refunded_cents"], 0);
    EXPECT_EQ(shown["restocked"], false);
    EXPECT_EQ(refund(path, {{"amount_cents", 1}, {"restock", false}}, token).status, 200);  // refunds stay the owner's
}

TEST_F(Refunds, ARestockWhoseRefundLosesTheRecheckIsStillRecorded) {
    // The test stands in for a concurrent refund that takes what remains: it holds payment.db's
    // write lock with that refund uncommitted until products has taken the stock back, so the
    // restocking refund passes its first check and loses the second.
    auto token = s().login("lost-recheck@example.org");
    auto path = bought("REF-LOST-RECHECK", token, 200, 3, 5);
    const long long product = product_of(path, token);
    const std::string id = path.substr(path.rfind('/') + 1);
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open_v2(payments().c_str(), &db, SQLITE_OPEN_READWRITE, nullptr), SQLITE_OK);
    sqlite3_busy_timeout(db, 5000);
    ASSERT_EQ(sqlite3_exec(db, "BEGIN IMMEDIATE", nullptr, nullptr, nullptr), SQLITE_OK);
    ASSERT_EQ(sqlite3_exec(db, ("UPDATE payments SET refunded_cents = amount_cents, status = 'refunded' WHERE id = '" + id + "'").c_str(),
                           nullptr, nullptr, nullptr),
              SQLITE_OK);
    reply r;
    const std::string support = operator_token();
    std::thread restocker([&] {
        try {
            r = refund(path, {{"restock", true}}, support);
        } catch (const std::exception& e) {
            r.body = e.what();
        }
    });
    const bool returned = eventually([&] { return s().stock(product) == 5; });
    EXPECT_EQ(sqlite3_exec(db, "COMMIT", nullptr, nullptr, nullptr), SQLITE_OK);
    sqlite3_close(db);
    restocker.join();
    ASSERT_TRUE(returned);
    EXPECT_EQ(r.status, 409) << r.body;
    EXPECT_EQ(r.json()["title"], "Already refunded");
    EXPECT_EQ(s().get(s().payment(), path, token).json()["restocked"], true);  // the stock is back: say so
    EXPECT_EQ(s().stock(product), 5);
}

TEST_F(Refunds, ARefundWithoutRestockLeavesTheStockAlone) {
    auto token = s().login("no-restock@example.org");
    auto path = bought("REF-NO-RESTOCK", token, 200, 2, 5);
    const long long product = product_of(path, token);
    ASSERT_EQ(refund(path, nullptr, token).status, 200);
    EXPECT_EQ(s().stock(product), 3);
}

TEST_F(Refunds, ConcurrentPartialRefundsNeverExceedTheAmount) {
    auto token = s().login("race@example.org");
    auto path = bought("REF-RACE", token, 1000);
    std::map<int, int> statuses;
    std::mutex mutex;
    std::vector<std::thread> clients;
    for (int i = 0; i < 10; ++i)
        clients.emplace_back([&] {
            int status = -1;
            try {
                status = refund(path, {{"amount_cents", 300}}, token).status;
            } catch (const std::exception&) {
            }
            std::lock_guard lock(mutex);
            ++statuses[status];
        });
    for (auto& c : clients) c.join();
    EXPECT_EQ(statuses[200], 3);
    EXPECT_EQ(statuses[422], 7);  // 100 cents remain: 300 is too much
    auto shown = s().get(s().payment(), path, token).json();
    EXPECT_EQ(shown["refunded_cents"], 900);
    EXPECT_EQ(shown["refunds"].size(), 3u);
}

TEST_F(Refunds, AnOperatorWithPaymentsReadRefundsAnothersPayment) {
    auto token = s().login("customer@example.org");
    auto path = bought("REF-OPERATOR", token, 600);
    auto operator_token = s().mint_token("support-7", "payments:read");
    auto r = refund(path, {{"amount_cents", 100}, {"reason", "goodwill"}}, operator_token);
    ASSERT_EQ(r.status, 200) << r.body;
    EXPECT_EQ(r.json()["refunded_cents"], 100);
    const std::string refund_id = r.json()["refunds"][0]["refund_id"];
    EXPECT_EQ(sql(payments(), "SELECT subject FROM refunds WHERE id = '" + refund_id + "'"),
              std::vector<std::string>{"support-7"});
}

TEST_F(Refunds, AnotherUserCannotRefundAPayment) {
    auto token = s().login("mine@example.org");
    auto path = bought("REF-NOT-YOURS", token, 600);
    auto r = refund(path, {{"amount_cents", 100}}, s().login("thief@example.org"));
    EXPECT_EQ(r.status, 404);
    EXPECT_EQ(s().get(s().payment(), path, token).json()["refunded_cents"], 0);
}

}  // namespace
}  // namespace berth::test
