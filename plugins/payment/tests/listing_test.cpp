// payment: GET /v1/payments lists the caller's payments newest first, a page at a time, by
// status; an operator with payments:read sees everyone's and may filter by user. Real host.
#include "support/shop.hpp"

#include <gtest/gtest.h>

namespace berth::test {
namespace {

class Listing : public ::testing::Test {
protected:
    static void SetUpTestSuite() { shop_ = new shop(); }
    static void TearDownTestSuite() { delete shop_; }
    static shop& s() { return *shop_; }
    static std::filesystem::path payments() { return s().host().data_dir() / "payment.db"; }

    // A payment of one unit by `token` under key `key`; returns its id.
    static std::string pay(const std::string& token, const std::string& key, const std::string& card = "4242424242424242") {
        auto id = s().product(key, 100, 5);
        auto r = s().checkout(token, key, nlohmann::json::array({{{"product_id", id}, {"quantity", 1}}}), shop::card(card));
        if (r.status != 201 && r.status != 402) throw std::runtime_error("checkout failed: " + r.body);
        return r.json()["payment_id"];
    }
    // Dates a payment, so that the order of a list does not rest on the clock's resolution.
    static void date(const std::string& payment_id, const std::string& created_at) {
        sql_exec(payments(), "UPDATE payments SET created_at = '" + created_at + "' WHERE id = '" + payment_id + "';");
    }
    static std::vector<std::string> ids(const reply& r) {
        std::vector<std::string> out;
        const auto page = r.json();
        for (auto& p : page["items"]) out.push_back(p["payment_id"]);
        return out;
    }
    static std::string user_of(const std::string& token) {
        return std::to_string(s().get(s().users(), "/v1/users/me", token).json()["id"].get<long long>());
    }
    static shop* shop_;
};
shop* Listing::shop_ = nullptr;

TEST_F(Listing, AUserListsTheirOwnPaymentsNewestFirst) {
    auto token = s().login("lister@example.org");
    auto a = pay(token, "LIST-A"), b = pay(token, "LIST-B"), c = pay(token, "LIST-C");
    pay(s().login("someone-else@example.org"), "LIST-OTHER");
    date(a, "2030-01-01T00:00:03.000Z");  // dated out of creation order: the list follows the dates
    date(b, "2030-01-01T00:00:01.000Z");
    date(c, "2030-01-01T00:00:02.000Z");
    auto r = s().get(s().payment(), "/v1/payments", token);
    ASSERT_EQ(r.status, 200) << r.body;
    EXPECT_EQ(ids(r), (std::vector<std::string>{a, c, b})) << r.body;
    EXPECT_TRUE(r.json()["next_cursor"].is_null());
    EXPECT_EQ(r.json()["items"][0]["status"], "captured");
    EXPECT_EQ(r.json()["items"][0]["refunds"], nlohmann::json::array());
}

TEST_F(Listing, PagesFollowTheCursorWithoutGapsOrRepeats) {
    auto token = s().login("pager@example.org");
    std::vector<std::string> made;
    for (int i = 0; i < 5; ++i) {
        made.push_back(pay(token, "LIST-PAGE-" + std::to_string(i)));
        date(made.back(), "2030-02-01T00:00:0" + std::to_string(i) + ".000Z");
    }
    std::vector<std::string> seen;
    std::vector<std::size_t> sizes;
    std::string target = "/v1/payments?limit=2";
    for (int page = 0; page < 5; ++page) {
        auto r = s().get(s().payment(), target, token);
        ASSERT_EQ(r.status, 200) << r.body;
        auto got = ids(r);
        sizes.push_back(got.size());
        seen.insert(seen.end(), got.begin(), got.end());
        if (r.json()["next_cursor"].is_null()) break;
        target = "/v1/payments?limit=2&cursor=" + r.json()["next_cursor"].get<std::string>();
    }
    EXPECT_EQ(sizes, (std::vector<std::size_t>{2, 2, 1}));
    EXPECT_EQ(seen, (std::vector<std::string>{made[4], made[3], made[2], made[1], made[0]}));
}

TEST_F(Listing, PaymentsMadeAtTheSameMomentAreListedOnceEach) {
    auto token = s().login("same-ms@example.org");
    std::vector<std::string> made;
    for (int i = 0; i < 3; ++i) {
        made.push_back(pay(token, "LIST-TIE-" + std::to_string(i)));
        date(made.back(), "2030-03-01T00:00:00.000Z");
    }
    std::vector<std::string> seen;
    std::string target = "/v1/payments?limit=1";
    for (int page = 0; page < 4; ++page) {
        auto r = s().get(s().payment(), target, token);
        ASSERT_EQ(r.status, 200) << r.body;
        auto got = ids(r);
        seen.insert(seen.end(), got.begin(), got.end());
        if (r.json()["next_cursor"].is_null()) break;
        target = "/v1/payments?limit=1&cursor=" + r.json()["next_cursor"].get<std::string>();
    }
    std::sort(made.begin(), made.end(), std::greater<>());  // ties: by id, descending
    EXPECT_EQ(seen, made);
}

TEST_F(Listing, TheStatusFilterListsOnlyThatStatus) {
    auto token = s().login("status-filter@example.org");
    auto kept = pay(token, "LIST-KEPT");
    auto refunded = pay(token, "LIST-REFUNDED");
    auto declined = pay(token, "LIST-DECLINED", "4000000000000002");
    ASSERT_EQ(s().post(s().payment(), "/v1/payments/" + refunded + "/refund", nullptr, token).status, 200);
    EXPECT_EQ(ids(s().get(s().payment(), "/v1/payments?status=refunded", token)), std::vector<std::string>{refunded});
    EXPECT_EQ(ids(s().get(s().payment(), "/v1/payments?status=declined", token)), std::vector<std::string>{declined});
    EXPECT_EQ(ids(s().get(s().payment(), "/v1/payments?status=captured", token)), std::vector<std::string>{kept});
    EXPECT_EQ(s().get(s().payment(), "/v1/payments?status=pending", token).status, 400);
}

TEST_F(Listing, StoredRefusalsAreNotListed) {
    auto token = s().login("no-refusals@example.org");
    auto id = s().product("LIST-OOS", 100, 1);
    ASSERT_EQ(s().checkout(token, "oos", nlohmann::json::array({{{"product_id", id}, {"quantity", 9}}})).status, 409);
    auto r = s().get(s().payment(), "/v1/payments", token);
    ASSERT_EQ(r.status, 200);
    EXPECT_EQ(r.json()["items"], nlohmann::json::array());
}

TEST_F(Listing, AForgedCursorIsRefused) {
    auto token = s().login("forger@example.org");
    for (auto cursor : {"abc", "MjAzMC0wMS0wMXxub3QtYW4taWQ", "!!"}) {
        SCOPED_TRACE(cursor);
        auto r = s().get(s().payment(), std::string("/v1/payments?cursor=") + cursor, token);
        EXPECT_EQ(r.status, 400) << r.body;
    }
}

TEST_F(Listing, ListingNeedsAToken) { EXPECT_EQ(s().get(s().payment(), "/v1/payments").status, 401); }

TEST_F(Listing, AUserCannotListAnothersPayments) {
    auto mine = s().login("nosy@example.org");
    auto theirs = s().login("private@example.org");
    pay(theirs, "LIST-PRIVATE");
    auto r = s().get(s().payment(), "/v1/payments?user_id=" + user_of(theirs), mine);
    EXPECT_EQ(r.status, 403) << r.body;
    EXPECT_EQ(s().get(s().payment(), "/v1/payments?user_id=" + user_of(mine), mine).status, 200);
}

TEST_F(Listing, AnOperatorListsEveryonesAndFiltersByUser) {
    auto alice = s().login("alice@example.org");
    auto bob = s().login("bob@example.org");
    auto a = pay(alice, "LIST-ALICE"), b = pay(bob, "LIST-BOB");
    auto op = s().mint_token("support-1", "payments:read");
    auto all = ids(s().get(s().payment(), "/v1/payments?limit=100", op));
    EXPECT_NE(std::find(all.begin(), all.end(), a), all.end());
    EXPECT_NE(std::find(all.begin(), all.end(), b), all.end());
    EXPECT_EQ(ids(s().get(s().payment(), "/v1/payments?user_id=" + user_of(alice), op)), std::vector<std::string>{a});
    auto shown = s().get(s().payment(), "/v1/payments/" + b, op);
    ASSERT_EQ(shown.status, 200);
    EXPECT_EQ(shown.json()["user_id"], user_of(bob));
}

TEST_F(Listing, AnotherUserCannotSeeAPayment) {
    auto owner = s().login("shown-owner@example.org");
    auto id = pay(owner, "LIST-SHOWN");
    EXPECT_EQ(s().get(s().payment(), "/v1/payments/" + id, s().login("shown-other@example.org")).status, 404);
    // A token of another scope is no operator.
    EXPECT_EQ(s().get(s().payment(), "/v1/payments/" + id, s().admin_token()).status, 404);
}

}  // namespace
}  // namespace berth::test
