// categories + products: a category deleted while a product is created (or recategorised) into
// it never leaves an orphan: each side looks again after its own commit and undoes its change.
#include "helpers.hpp"
#include "support/test_host.hpp"

#include <gtest/gtest.h>

#include <latch>
#include <thread>

namespace berth::test {
namespace {

using categories_tests::create;
using categories_tests::path;
using categories_tests::remove;

// Enough rounds that, without the second looks, an orphan is all but certain (it was seen in a
// few dozen); each round starts the two writes together.
constexpr int rounds = 150;

struct outcome {
    int product_status = 0, delete_status = 0;
};

// Runs `write` (answers a reply whose JSON names the product) and DELETE of `category` at once.
template <class Write>
outcome race(shop& s, long long category, const std::string& token, Write write) {
    std::latch start(2);
    outcome o;
    std::thread writer([&] {
        start.arrive_and_wait();
        o.product_status = write();
    });
    std::thread deleter([&] {
        start.arrive_and_wait();
        o.delete_status = remove(s.categories(), category, token).status;
    });
    writer.join();
    deleter.join();
    return o;
}

// Whether product `id` exists and names a category that does not.
bool orphan(shop& s, long long product) {
    auto p = s.get(s.products(), "/v1/products/" + std::to_string(product));
    if (p.status != 200) return false;
    return s.get(s.categories(), path(p.json()["category_id"])).status == 404;
}

TEST(CategoryRace, DeleteAgainstCreateNeverLeavesAnOrphan) {
    shop s;
    const std::string token = s.admin_token();
    int created = 0, deleted = 0;
    for (int i = 0; i < rounds; ++i) {
        long long category = create(s, "Race " + std::to_string(i));
        long long product = 0;
        auto o = race(s, category, token, [&] {
            auto r = s.post(s.products(), "/v1/products",
                            {{"sku", "RACE-" + std::to_string(i)}, {"name", "Lamp"}, {"price_cents", 100}, {"currency", "EUR"},
                             {"category_id", category}},
                            token);
            if (r.status == 201) product = r.json()["id"];
            return r.status;
        });
        ASSERT_TRUE(o.product_status == 201 || o.product_status == 422) << o.product_status;
        ASSERT_TRUE(o.delete_status == 204 || o.delete_status == 409) << o.delete_status;
        ASSERT_FALSE(o.product_status == 201 && o.delete_status == 204) << "round " << i << ": both succeeded";
        if (product != 0) ASSERT_FALSE(orphan(s, product)) << "round " << i;
        created += o.product_status == 201;
        deleted += o.delete_status == 204;
    }
    std::cout << "created " << created << ", deleted " << deleted << " of " << rounds << " rounds\n";
}

TEST(CategoryRace, DeleteAgainstRecategoriseNeverLeavesAnOrphan) {
    shop s;
    const std::string token = s.admin_token();
    const long long home = create(s, "Home");
    auto made = s.post(s.products(), "/v1/products",
                       {{"sku", "MOVER"}, {"name", "Lamp"}, {"price_cents", 100}, {"currency", "EUR"}, {"category_id", home}}, token);
    ASSERT_EQ(made.status, 201) << made.body;
    const long long product = made.json()["id"];
    for (int i = 0; i < rounds; ++i) {
        long long category = create(s, "Away " + std::to_string(i));
        auto o = race(s, category, token, [&] {
            return s.post(s.products(), "/v1/products/" + std::to_string(product) + "/recategorise", {{"category_id", category}},
                          token)
                .status;
        });
        ASSERT_TRUE(o.product_status == 200 || o.product_status == 422) << o.product_status;
        ASSERT_TRUE(o.delete_status == 204 || o.delete_status == 409) << o.delete_status;
        ASSERT_FALSE(o.product_status == 200 && o.delete_status == 204) << "round " << i << ": both succeeded";
        ASSERT_FALSE(orphan(s, product)) << "round " << i;
        // Back home for the next round (a 409 left the category: it is the product's now).
        ASSERT_EQ(s.post(s.products(), "/v1/products/" + std::to_string(product) + "/recategorise", {{"category_id", home}}, token)
                      .status,
                  200);
    }
}

// products stood in for: nothing names the category at the first look, a product at the second.
class DeleteUndo : public ::testing::Test {
protected:
    void SetUp() override {
        host_ = std::make_unique<test_host>(
            std::vector<plugin_spec>{{"categories", shipped_plugin("categories")},
                                     {"products", test_plugin("categories_products_stand_in")}},
            nlohmann::json{{"auth", {{"issuer", "berth-test"}, {"token_ttl_s", 600}}}});
        token_ = host_->admin("POST", "/tokens",
                              nlohmann::json{{"subject", "undo-admin"}, {"scope", "catalog:write"}, {"ttl_s", 3600}}.dump())
                     .json()["token"];
    }
    reply post(const std::string& target, const nlohmann::json& body) {
        return http_request(host_->port("categories"), "POST", target, body.dump(),
                            {{"Content-Type", "application/json"}, {"Authorization", "Bearer " + token_}});
    }
    std::unique_ptr<test_host> host_;
    std::string token_;
};

TEST_F(DeleteUndo, AProductSeenAfterTheDeleteBringsTheCategoryBack) {
    const long long lamps = post("/v1/categories", {{"name", "Lamps"}}).json()["id"];
    const long long desk = post("/v1/categories", {{"name", "Desk"}, {"parent_id", lamps}}).json()["id"];
    auto r = remove(host_->port("categories"), desk, token_);
    EXPECT_EQ(r.status, 409) << r.body;
    EXPECT_EQ(r.json()["title"], "Category not empty");
    auto back = http_request(host_->port("categories"), "GET", path(desk));
    ASSERT_EQ(back.status, 200) << back.body;
    EXPECT_EQ(back.json(), (nlohmann::json{{"id", desk}, {"name", "Desk"}, {"parent_id", lamps}}));
}

}  // namespace
}  // namespace berth::test
