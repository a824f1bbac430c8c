// products: reservations for operators (catalog:write): listed newest first, filtered by
// state, a page at a time; a held one cancelled by hand gives its stock back, once.
#include "support/shop.hpp"

#include <gtest/gtest.h>

namespace berth::test {
namespace {

class Reservations : public ::testing::Test {
protected:
    static void SetUpTestSuite() { shop_ = new shop(); }
    static void TearDownTestSuite() { delete shop_; }
    static shop& s() { return *shop_; }
    static shop* shop_;

    // A held reservation of `quantity` units, as payment leaves one between reserving and committing.
    // Written into products.db: only payment may call POST /v1/reservations, and with the real
    // payment here a hold lives only inside a checkout, so none is left standing for an operator
    // (cancel_test.cpp reserves over HTTP instead, with a stand-in in payment's place).
    static void hold(const std::string& id, long long product, long long quantity,
                     const std::string& created_at = "strftime('%Y-%m-%dT%H:%M:%fZ', 'now')") {
        const auto p = std::to_string(product), q = std::to_string(quantity);
        sql_exec(s().host().data_dir() / "products.db",
                 "BEGIN IMMEDIATE;"
                 "INSERT INTO reservations(id, state, created_at) VALUES('" + id + "', 'held', " + created_at + ");"
                 "INSERT INTO reservation_items(reservation_id, product_id, quantity, unit_price_cents, currency) "
                 "VALUES('" + id + "', " + p + ", " + q + ", 100, 'EUR');"
                 "UPDATE products SET stock = stock - " + q + " WHERE id = " + p + "; COMMIT;");
    }
    static reply cancel(const std::string& id, const std::string& token) {
        return s().post(s().products(), "/v1/reservations/" + id + "/cancel", nullptr, token);
    }
    static nlohmann::json list(const std::string& query) {
        auto r = s().get(s().products(), "/v1/reservations" + query, s().admin_token());
        if (r.status != 200) throw std::runtime_error("list failed: " + r.body);
        return r.json();
    }
    static const nlohmann::json* find(const nlohmann::json& page, const std::string& id) {
        for (auto& r : page["items"])
            if (r["reservation_id"] == id) return &r;
        return nullptr;
    }
};
shop* Reservations::shop_ = nullptr;

TEST_F(Reservations, CancellingAHeldReservationGivesItsStockBack) {
    auto id = s().product("CAN-1", 100, 5);
    hold("ca0000000000000000000001", id, 2);
    ASSERT_EQ(s().stock(id), 3);
    auto r = cancel("ca0000000000000000000001", s().admin_token());
    ASSERT_EQ(r.status, 200) << r.body;
    EXPECT_EQ(r.json(), (nlohmann::json{{"reservation_id", "ca0000000000000000000001"}, {"state", "released"}}));
    EXPECT_EQ(s().stock(id), 5);
}

TEST_F(Reservations, CancellingAgainAnswersTheSameAndGivesNothingBack) {
    auto id = s().product("CAN-2", 100, 5);
    hold("ca0000000000000000000002", id, 2);
    ASSERT_EQ(cancel("ca0000000000000000000002", s().admin_token()).status, 200);
    auto again = cancel("ca0000000000000000000002", s().admin_token());
    ASSERT_EQ(again.status, 200) << again.body;
    EXPECT_EQ(again.json()["state"], "released");
    EXPECT_EQ(s().stock(id), 5);
}

TEST_F(Reservations, CancellingACommittedReservationIs409) {
    auto id = s().product("CAN-3", 100, 5);
    auto paid = s().checkout(s().login("can3@example.org"), "can-3", {{{"product_id", id}, {"quantity", 1}}});
    ASSERT_EQ(paid.status, 201) << paid.body;
    auto reservation = sql(s().host().data_dir() / "payment.db",
                           "SELECT reservation_id FROM payments WHERE idempotency_key = 'can-3'").at(0);
    auto r = cancel(reservation, s().admin_token());
    EXPECT_EQ(r.status, 409);
    EXPECT_EQ(r.json()["title"], "Reservation settled");
    EXPECT_EQ(s().stock(id), 4);
}

TEST_F(Reservations, CancellingAnUnknownReservationIs404) {
    EXPECT_EQ(cancel("00000000000000000000dead", s().admin_token()).status, 404);
}

TEST_F(Reservations, CancellingNeedsCatalogWrite) {
    auto id = s().product("CAN-4", 100, 5);
    hold("ca0000000000000000000004", id, 1);
    EXPECT_EQ(cancel("ca0000000000000000000004", s().login("can4@example.org")).status, 403);
    EXPECT_EQ(cancel("ca0000000000000000000004", "").status, 401);
    EXPECT_EQ(s().stock(id), 4);
}

TEST_F(Reservations, ListingNeedsCatalogWrite) {
    EXPECT_EQ(s().get(s().products(), "/v1/reservations", s().login("list@example.org")).status, 403);
    EXPECT_EQ(s().get(s().products(), "/v1/reservations").status, 401);
}

TEST_F(Reservations, AHeldReservationIsListedWithItsItems) {
    auto id = s().product("LIST-1", 100, 5);
    hold("1100000000000000000000a1", id, 2);
    auto page = list("?state=held&limit=100");
    auto held = find(page, "1100000000000000000000a1");
    ASSERT_NE(held, nullptr);
    EXPECT_EQ((*held)["state"], "held");
    EXPECT_EQ((*held)["items"], nlohmann::json::array({nlohmann::json{{"product_id", id}, {"quantity", 2}}}));
    EXPECT_FALSE((*held)["created_at"].get<std::string>().empty());
}

TEST_F(Reservations, TheStateFilterListsOnlyThatState) {
    auto id = s().product("LIST-2", 100, 5);
    hold("1100000000000000000000a2", id, 1);
    ASSERT_EQ(s().checkout(s().login("list2@example.org"), "list-2", {{{"product_id", id}, {"quantity", 1}}}).status, 201);
    const std::string paid = sql(s().host().data_dir() / "payment.db",
                                 "SELECT reservation_id FROM payments WHERE idempotency_key = 'list-2'").at(0);
    auto held = list("?state=held&limit=100"), committed = list("?state=committed&limit=100");
    EXPECT_NE(find(held, "1100000000000000000000a2"), nullptr);
    EXPECT_EQ(find(held, paid), nullptr);
    EXPECT_NE(find(committed, paid), nullptr);
    EXPECT_EQ(find(committed, "1100000000000000000000a2"), nullptr);
    ASSERT_FALSE(committed["items"].empty());
    for (auto& r : committed["items"]) EXPECT_EQ(r["state"], "committed");
    for (auto& r : held["items"]) EXPECT_EQ(r["state"], "held");
    EXPECT_EQ(s().get(s().products(), "/v1/reservations?state=lost", s().admin_token()).status, 400);
}

TEST_F(Reservations, PagesAreNewestFirst) {
    auto id = s().product("LIST-3", 100, 10);
    // Far in the future, so they are the newest whatever else the suite made.
    hold("fa000000000000000000000a", id, 1, "'2999-01-01T00:00:01.000Z'");
    hold("fa000000000000000000000b", id, 1, "'2999-01-01T00:00:02.000Z'");
    hold("fa000000000000000000000c", id, 1, "'2999-01-01T00:00:02.000Z'");  // the same time: by id, descending
    hold("fa000000000000000000000d", id, 1, "'2999-01-01T00:00:03.000Z'");
    std::vector<std::string> seen;
    std::string cursor;
    for (int n = 0; n < 2; ++n) {
        auto page = list("?state=held&limit=2" + (cursor.empty() ? "" : "&cursor=" + cursor));
        for (auto& r : page["items"]) seen.push_back(r["reservation_id"]);
        if (n == 1) break;  // older holds of other tests may follow, or none
        ASSERT_FALSE(page["next_cursor"].is_null());
        cursor = page["next_cursor"];
    }
    EXPECT_EQ(seen, (std::vector<std::string>{"fa000000000000000000000d", "fa000000000000000000000c", "fa000000000000000000000b", "fa000000000000000000000a"}));
}

TEST_F(Reservations, AProductCursorIsABadReservationCursor) {
    auto r = s().get(s().products(), "/v1/reservations?cursor=12", s().admin_token());
    EXPECT_EQ(r.status, 400);
}

TEST_F(Reservations, ACheckoutsReservationIsListedAsCommitted) {
    auto id = s().product("LOC-RES", 100, 2);
    ASSERT_EQ(s().checkout(s().login("locres@example.org"), "loc-res", {{{"product_id", id}, {"quantity", 1}}}).status, 201);
    auto reservation = sql(s().host().data_dir() / "payment.db",
                           "SELECT reservation_id FROM payments WHERE idempotency_key = 'loc-res'").at(0);
    EXPECT_NE(find(list("?state=committed&limit=100"), reservation), nullptr);
}

}  // namespace
}  // namespace berth::test
