// products: catalogue edits (rename, recategorise, reinstate), names and SKUs as users
// expect them, Location on 201, and ETag / If-Match (412) on every write to a product.
#include "support/shop.hpp"

#include <gtest/gtest.h>

namespace berth::test {
namespace {

class Edits : public ::testing::Test {
protected:
    static void SetUpTestSuite() { shop_ = new shop(); }
    static void TearDownTestSuite() { delete shop_; }
    static shop& s() { return *shop_; }
    static shop* shop_;

    static reply create(const std::string& sku, const std::string& name, long long category) {
        return s().post(s().products(), "/v1/products",
                        {{"sku", sku}, {"name", name}, {"price_cents", 500}, {"currency", "EUR"}, {"category_id", category}},
                        s().admin_token());
    }
    static std::string path(long long id, const std::string& behaviour = "") {
        return "/v1/products/" + std::to_string(id) + (behaviour.empty() ? "" : "/" + behaviour);
    }
    static reply write(long long id, const std::string& behaviour, const nlohmann::json& body, const std::string& if_match = "") {
        header_list h;
        if (!if_match.empty()) h.emplace_back("If-Match", if_match);
        return s().post(s().products(), path(id, behaviour), body, s().admin_token(), h);
    }
    static std::string etag(long long id) { return s().get(s().products(), path(id)).header("ETag"); }
};
shop* Edits::shop_ = nullptr;

TEST_F(Edits, CreateAnswersLocationAndEtag) {
    auto r = create("LOC-1", "Lamp", s().category("Edits location"));
    ASSERT_EQ(r.status, 201) << r.body;
    const long long id = r.json()["id"];
    EXPECT_EQ(r.header("Location"), path(id));
    EXPECT_FALSE(r.header("ETag").empty());
    EXPECT_EQ(r.header("ETag"), etag(id));
}

TEST_F(Edits, SkusAreUniqueInAnyCase) {
    auto cat = s().category("Edits sku");
    ASSERT_EQ(create("LMP-1", "Lamp", cat).status, 201);
    auto r = create("lmp-1", "Other lamp", cat);
    EXPECT_EQ(r.status, 409);
    EXPECT_EQ(r.json()["title"], "SKU taken");
}

TEST_F(Edits, SkusAreStoredAsGiven) {
    auto r = create("MiXeD-1", "Lamp", s().category("Edits sku case"));
    ASSERT_EQ(r.status, 201) << r.body;
    EXPECT_EQ(s().get(s().products(), path(r.json()["id"])).json()["sku"], "MiXeD-1");
}

TEST_F(Edits, NamesAreTrimmed) {
    auto r = create("TRIM-1", "  Reading lamp \t", s().category("Edits trim"));
    ASSERT_EQ(r.status, 201) << r.body;
    EXPECT_EQ(r.json()["name"], "Reading lamp");
}

TEST_F(Edits, BlankNamesAreRefusedAtTheEdge) {
    auto r = create("BLANK-1", "   ", s().category("Edits blank"));
    ASSERT_EQ(r.status, 400) << r.body;
    EXPECT_EQ(r.json()["errors"][0]["pointer"], "/name");
    auto id = s().product("BLANK-2", 100, 0);
    EXPECT_EQ(write(id, "rename", {{"name", " \n "}}).status, 400);
}

TEST_F(Edits, TheCurrencyMustBeAnIso4217Code) {
    auto cat = s().category("Edits currency");
    auto made = [&](const std::string& sku, const std::string& currency) {
        return s().post(s().products(), "/v1/products",
                        {{"sku", sku}, {"name", "Lamp"}, {"price_cents", 500}, {"currency", currency}, {"category_id", cat}},
                        s().admin_token());
    };
    EXPECT_EQ(made("CUR-1", "JPY").status, 201);
    auto r = made("CUR-2", "XYZ");
    ASSERT_EQ(r.status, 400) << r.body;
    EXPECT_EQ(r.json()["errors"][0]["pointer"], "/currency");
}

TEST_F(Edits, RenameAnswersTheNewNameWithANewEtag) {
    auto id = s().product("REN-1", 100, 0);
    auto before = etag(id);
    auto r = write(id, "rename", {{"name", " Desk lamp "}});
    ASSERT_EQ(r.status, 200) << r.body;
    EXPECT_EQ(r.json()["name"], "Desk lamp");
    EXPECT_NE(r.header("ETag"), before);
    EXPECT_EQ(r.header("ETag"), etag(id));
    EXPECT_EQ(s().get(s().products(), path(id)).json()["name"], "Desk lamp");
}

TEST_F(Edits, RecategoriseMovesTheProduct) {
    auto id = s().product("RECAT-1", 100, 0);
    auto to = s().category("Edits recategorised");
    auto r = write(id, "recategorise", {{"category_id", to}});
    ASSERT_EQ(r.status, 200) << r.body;
    EXPECT_EQ(r.json()["category_id"], to);
}

TEST_F(Edits, RecategoriseToAnUnknownCategoryIs422) {
    auto id = s().product("RECAT-2", 100, 0);
    auto r = write(id, "recategorise", {{"category_id", 987654}});
    EXPECT_EQ(r.status, 422);
    EXPECT_EQ(r.json()["title"], "No such category");
}

TEST_F(Edits, ReinstateSellsADiscontinuedProductAgain) {
    auto id = s().product("REIN-1", 100, 0);
    ASSERT_EQ(write(id, "discontinue", nullptr).status, 200);
    auto r = write(id, "reinstate", nullptr);
    ASSERT_EQ(r.status, 200) << r.body;
    EXPECT_EQ(r.json()["status"], "active");
}

TEST_F(Edits, ReinstatingAnActiveProductChangesNothing) {
    auto id = s().product("REIN-2", 100, 0);
    auto before = etag(id);
    auto r = write(id, "reinstate", nullptr);
    ASSERT_EQ(r.status, 200) << r.body;
    EXPECT_EQ(r.header("ETag"), before);
}

TEST_F(Edits, EditsOfAnUnknownProductAre404) {
    EXPECT_EQ(write(987654, "rename", {{"name", "X"}}).status, 404);
    EXPECT_EQ(write(987654, "reinstate", nullptr).status, 404);
    EXPECT_EQ(write(987654, "recategorise", {{"category_id", 987654}}).status, 404);
}

TEST_F(Edits, EditsNeedCatalogWrite) {
    auto id = s().product("AUTH-1", 100, 0);
    auto user = s().login("edits@example.org");
    EXPECT_EQ(s().post(s().products(), path(id, "rename"), {{"name", "X"}}, user).status, 403);
    EXPECT_EQ(s().post(s().products(), path(id, "reinstate"), nullptr).status, 401);
}

TEST_F(Edits, TheCurrentEtagInIfMatchLetsAWriteThrough) {
    auto id = s().product("TAG-OK", 100, 0);
    auto r = write(id, "reprice", {{"price_cents", 250}}, etag(id));
    ASSERT_EQ(r.status, 200) << r.body;
    EXPECT_EQ(r.json()["price_cents"], 250);
}

// Every write to a product, with a body that would change it.
struct write_case {
    std::string behaviour;
    nlohmann::json body;
};
std::ostream& operator<<(std::ostream& os, const write_case& c) { return os << c.behaviour; }

class StaleEtag : public Edits, public ::testing::WithParamInterface<write_case> {};

TEST_P(StaleEtag, IsRefusedWith412AndChangesNothing) {
    auto id = s().product("STALE-" + GetParam().behaviour, 100, 5);
    if (GetParam().behaviour == "reinstate") ASSERT_EQ(write(id, "discontinue", nullptr).status, 200);
    auto seen = etag(id);
    ASSERT_EQ(write(id, "reprice", {{"price_cents", 101}}).status, 200);  // another operator's change
    auto before = s().get(s().products(), path(id)).json();
    auto body = GetParam().body;
    if (GetParam().behaviour == "recategorise") body["category_id"] = s().category("Stale target");
    auto r = write(id, GetParam().behaviour, body, seen);
    EXPECT_EQ(r.status, 412) << r.body;
    EXPECT_EQ(r.json()["title"], "Precondition failed");
    EXPECT_EQ(s().get(s().products(), path(id)).json(), before);
}

INSTANTIATE_TEST_SUITE_P(Writes, StaleEtag,
                         ::testing::Values(write_case{"reprice", {{"price_cents", 999}}},
                                           write_case{"restock", {{"quantity", 3}}},
                                           write_case{"rename", {{"name", "Renamed"}}},
                                           write_case{"recategorise", nlohmann::json::object()},
                                           write_case{"adjust-stock", {{"delta", -2}, {"reason", "count"}}},
                                           write_case{"discontinue", nullptr}, write_case{"reinstate", nullptr}),
                         [](const auto& info) {
                             std::string name = info.param.behaviour;
                             name.erase(std::remove(name.begin(), name.end(), '-'), name.end());
                             return name;
                         });

}  // namespace
}  // namespace berth::test
