// products: browsing GET /v1/products by category (with its subcategories, asked of
// categories), status and sort, with cursors that stay stable while products are added.
#include "support/shop.hpp"

#include <gtest/gtest.h>

#include <optional>
#include <tuple>

namespace berth::test {
namespace {

class Browsing : public ::testing::Test {
protected:
    static void SetUpTestSuite() { shop_ = new shop(); }
    static void TearDownTestSuite() { delete shop_; }
    static shop& s() { return *shop_; }
    static shop* shop_;

    static long long category(const std::string& name, std::optional<long long> parent = std::nullopt) {
        nlohmann::json body = {{"name", name}};
        if (parent) body["parent_id"] = *parent;
        auto r = s().post(s().categories(), "/v1/categories", body, s().admin_token());
        if (r.status != 201) throw std::runtime_error("category failed: " + r.body);
        return r.json()["id"];
    }
    static long long product(const std::string& sku, const std::string& name, long long price, long long category) {
        auto r = s().post(s().products(), "/v1/products",
                          {{"sku", sku}, {"name", name}, {"price_cents", price}, {"currency", "EUR"}, {"category_id", category}},
                          s().admin_token());
        if (r.status != 201) throw std::runtime_error("product failed: " + r.body);
        return r.json()["id"];
    }
    // The skus of one page and its next cursor.
    static std::pair<std::vector<std::string>, std::string> page(const std::string& query) {
        auto r = s().get(s().products(), "/v1/products?" + query);
        if (r.status != 200) throw std::runtime_error("list failed: " + r.body);
        auto j = r.json();
        std::vector<std::string> skus;
        for (auto& item : j["items"]) skus.push_back(item["sku"]);
        return {skus, j["next_cursor"].is_null() ? "" : j["next_cursor"].get<std::string>()};
    }
    static std::vector<std::string> skus(const std::string& query) { return page(query).first; }
};
shop* Browsing::shop_ = nullptr;

TEST_F(Browsing, DiscontinuedProductsAreNotListedByDefault) {
    auto cat = category("Browse status");
    product("ST-ON", "On sale", 100, cat);
    auto off = product("ST-OFF", "Off sale", 100, cat);
    ASSERT_EQ(s().post(s().products(), "/v1/products/" + std::to_string(off) + "/discontinue", nullptr, s().admin_token()).status, 200);
    const std::string base = "category_id=" + std::to_string(cat) + "&subcategories=false";
    EXPECT_EQ(skus(base), (std::vector<std::string>{"ST-ON"}));
    EXPECT_EQ(skus(base + "&status=active"), (std::vector<std::string>{"ST-ON"}));
    EXPECT_EQ(skus(base + "&status=discontinued"), (std::vector<std::string>{"ST-OFF"}));
    EXPECT_EQ(skus(base + "&status=all"), (std::vector<std::string>{"ST-ON", "ST-OFF"}));
}

TEST_F(Browsing, AnUnknownStatusIs400) {
    EXPECT_EQ(s().get(s().products(), "/v1/products?status=gone").status, 400);
}

TEST_F(Browsing, AnUnknownCategoryIs404) {
    for (const char* sub : {"", "&subcategories=false"}) {
        auto r = s().get(s().products(), std::string("/v1/products?category_id=987654") + sub);
        EXPECT_EQ(r.status, 404) << sub << " " << r.body;
        EXPECT_EQ(r.json()["title"], "No such category") << sub;
    }
}

TEST_F(Browsing, SubcategoriesFalseListsTheCategoryAlone) {
    auto lamps = category("Browse lamps");
    auto desk = category("Browse desk lamps", lamps);
    product("SUB-TOP", "Floor lamp", 100, lamps);
    product("SUB-DESK", "Desk lamp", 100, desk);
    EXPECT_EQ(skus("category_id=" + std::to_string(lamps) + "&subcategories=false"), (std::vector<std::string>{"SUB-TOP"}));
}

// Needs categories' GET /v1/categories/{id}/subtree (issue 12, the categories branch).
TEST_F(Browsing, ACategoryListsEverythingUnderIt) {
    auto rooms = category("Browse rooms");
    auto kitchen = category("Browse kitchen", rooms);
    auto shelves = category("Browse kitchen shelves", kitchen);
    product("TREE-1", "Room rug", 100, rooms);
    product("TREE-2", "Kettle", 100, kitchen);
    product("TREE-3", "Shelf", 100, shelves);
    EXPECT_EQ(skus("category_id=" + std::to_string(rooms)), (std::vector<std::string>{"TREE-1", "TREE-2", "TREE-3"}));
    EXPECT_EQ(skus("category_id=" + std::to_string(kitchen)), (std::vector<std::string>{"TREE-2", "TREE-3"}));
}

// One sort order: products made in this order, and the order the sort must list them in.
struct sort_case {
    std::string sort;
    std::vector<std::tuple<std::string, std::string, long long>> made;  // sku, name, price
    std::vector<std::string> expected;
    std::tuple<std::string, std::string, long long> added;  // made after the first page
};

std::ostream& operator<<(std::ostream& os, const sort_case& c) { return os << c.sort; }

class Sorted : public Browsing, public ::testing::WithParamInterface<sort_case> {};

std::vector<sort_case> sort_cases() {
    return {
        {"newest", {{"N-1", "a", 1}, {"N-2", "b", 1}, {"N-3", "c", 1}, {"N-4", "d", 1}, {"N-5", "e", 1}},
         {"N-5", "N-4", "N-3", "N-2", "N-1"}, {"N-6", "f", 1}},
        {"price", {{"P-1", "a", 300}, {"P-2", "b", 100}, {"P-3", "c", 200}, {"P-4", "d", 100}, {"P-5", "e", 300}},
         {"P-2", "P-4", "P-3", "P-1", "P-5"}, {"P-6", "f", 50}},
        {"name", {{"M-1", "banana", 1}, {"M-2", "Apple", 1}, {"M-3", "cherry", 1}, {"M-4", "apple", 1}, {"M-5", "Banana", 1}},
         {"M-2", "M-4", "M-1", "M-5", "M-3"}, {"M-6", "Aardvark", 1}},
    };
}

TEST_P(Sorted, PagesFollowTheSort) {
    auto cat = category("Sorted " + GetParam().sort);
    for (auto& [sku, name, price] : GetParam().made) product(sku, name, price, cat);
    const std::string base = "category_id=" + std::to_string(cat) + "&subcategories=false&sort=" + GetParam().sort + "&limit=2";
    std::vector<std::string> seen;
    std::string cursor;
    for (int n = 0; n < 10; ++n) {
        auto [items, next] = page(base + (cursor.empty() ? "" : "&cursor=" + cursor));
        seen.insert(seen.end(), items.begin(), items.end());
        if (next.empty()) break;
        cursor = next;
    }
    EXPECT_EQ(seen, GetParam().expected);
}

TEST_P(Sorted, AProductAddedBetweenPagesRepeatsAndSkipsNothing) {
    auto cat = category("Sorted while adding " + GetParam().sort);
    auto prefixed = [&](const std::string& sku) { return "X" + sku; };
    for (auto& [sku, name, price] : GetParam().made) product(prefixed(sku), name, price, cat);
    const std::string base = "category_id=" + std::to_string(cat) + "&subcategories=false&sort=" + GetParam().sort + "&limit=2";
    auto [seen, cursor] = page(base);
    ASSERT_FALSE(cursor.empty());
    auto& [sku, name, price] = GetParam().added;
    product(prefixed(sku), name, price, cat);
    for (int n = 0; n < 10 && !cursor.empty(); ++n) {
        auto [items, next] = page(base + "&cursor=" + cursor);
        seen.insert(seen.end(), items.begin(), items.end());
        cursor = next;
    }
    std::vector<std::string> expected;
    for (auto& e : GetParam().expected) expected.push_back(prefixed(e));
    // The added product sorts before the first page: it is not listed, nor is anything twice.
    EXPECT_EQ(seen, expected);
}

INSTANTIATE_TEST_SUITE_P(Sorts, Sorted, ::testing::ValuesIn(sort_cases()),
                         [](const auto& info) { return info.param.sort; });

TEST_F(Browsing, ACursorFromAnotherSortIs400) {
    auto cat = category("Cursor mix");
    for (int i = 0; i < 3; ++i) product("MIX-" + std::to_string(i), "Mix " + std::to_string(i), 100 + i, cat);
    const std::string base = "/v1/products?category_id=" + std::to_string(cat) + "&subcategories=false&limit=1";
    auto price_cursor = page(base.substr(13) + "&sort=price").second;
    auto id_cursor = page(base.substr(13)).second;
    ASSERT_FALSE(price_cursor.empty());
    ASSERT_FALSE(id_cursor.empty());
    for (auto target : {base + "&sort=name&cursor=" + price_cursor, base + "&cursor=" + price_cursor,
                        base + "&sort=price&cursor=" + id_cursor, base + "&sort=newest&cursor=bm9uc2Vuc2U",
                        base + "&cursor=not-digits", base + "&sort=price&cursor=" + std::string(3000, 'A')}) {
        auto r = s().get(s().products(), target);
        EXPECT_EQ(r.status, 400) << target;
        EXPECT_EQ(r.json()["title"], "Bad cursor") << target;
    }
}

TEST_F(Browsing, AnUnknownSortIs400) {
    EXPECT_EQ(s().get(s().products(), "/v1/products?sort=popular").status, 400);
}

}  // namespace
}  // namespace berth::test
