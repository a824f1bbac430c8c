// categories: a subtree's ids, and moving a category (never into a loop).
#include "helpers.hpp"

#include <gtest/gtest.h>

namespace berth::test {
namespace {

using categories_tests::create;
using categories_tests::move;
using categories_tests::path;
using categories_tests::subtree_ids;
using ids = std::vector<long long>;

TEST(CategorySubtree, ListsTheCategoryAndEveryDescendantAscending) {
    shop s;
    long long lamps = create(s, "Lamps");
    long long desk = create(s, "Desk", lamps);
    long long chairs = create(s, "Chairs");  // not under lamps
    long long led = create(s, "LED", desk);
    long long floor = create(s, "Floor", lamps);
    auto r = s.get(s.categories(), path(lamps) + "/subtree");
    ASSERT_EQ(r.status, 200) << r.body;
    EXPECT_EQ(r.json()["id"], lamps);
    EXPECT_EQ(r.json()["ids"].get<ids>(), (ids{lamps, desk, led, floor}));
    EXPECT_EQ(subtree_ids(s, chairs).get<ids>(), ids{chairs});
}

TEST(CategorySubtree, OfALeafIsJustItself) {
    shop s;
    long long lamps = create(s, "Lamps");
    long long desk = create(s, "Desk", lamps);
    EXPECT_EQ(subtree_ids(s, desk).get<ids>(), ids{desk});
}

TEST(CategorySubtree, OfAnUnknownCategoryIs404) {
    shop s;
    auto r = s.get(s.categories(), path(999) + "/subtree");
    EXPECT_EQ(r.status, 404);
    EXPECT_EQ(r.json()["title"], "No such category");
}

TEST(CategoryMove, MovesUnderAnotherParentWithItsChildren) {
    shop s;
    long long lamps = create(s, "Lamps");
    long long furniture = create(s, "Furniture");
    long long desk = create(s, "Desk", lamps);
    long long led = create(s, "LED", desk);
    auto r = move(s, desk, furniture, s.admin_token());
    ASSERT_EQ(r.status, 200) << r.body;
    EXPECT_EQ(r.json()["id"], desk);
    EXPECT_EQ(r.json()["parent_id"], furniture);
    EXPECT_EQ(r.json()["name"], "Desk");
    EXPECT_EQ(subtree_ids(s, furniture).get<ids>(), (ids{furniture, desk, led}));
    EXPECT_EQ(subtree_ids(s, lamps).get<ids>(), ids{lamps});
}

TEST(CategoryMove, NullMovesToTheTop) {
    shop s;
    long long lamps = create(s, "Lamps");
    long long desk = create(s, "Desk", lamps);
    auto r = move(s, desk, nullptr, s.admin_token());
    ASSERT_EQ(r.status, 200) << r.body;
    EXPECT_TRUE(r.json()["parent_id"].is_null());
    auto tree = s.get(s.categories(), "/v1/categories").json();
    ASSERT_EQ(tree.size(), 2u);
    EXPECT_EQ(tree[0]["name"], "Desk");
    EXPECT_EQ(tree[1]["name"], "Lamps");
    EXPECT_TRUE(tree[1]["children"].empty());
}

TEST(CategoryMove, AParentUnderItsGrandchildIsACycle) {
    shop s;
    long long lamps = create(s, "Lamps");
    long long desk = create(s, "Desk", lamps);
    long long led = create(s, "LED", desk);
    auto r = move(s, lamps, led, s.admin_token());
    EXPECT_EQ(r.status, 409) << r.body;
    EXPECT_EQ(r.json()["title"], "Cycle");
    EXPECT_TRUE(s.get(s.categories(), path(lamps)).json()["parent_id"].is_null());
    EXPECT_EQ(subtree_ids(s, lamps).get<ids>(), (ids{lamps, desk, led}));
}

TEST(CategoryMove, UnderItselfIsACycle) {
    shop s;
    long long lamps = create(s, "Lamps");
    auto r = move(s, lamps, lamps, s.admin_token());
    EXPECT_EQ(r.status, 409) << r.body;
    EXPECT_EQ(r.json()["title"], "Cycle");
}

TEST(CategoryMove, ToAnUnknownParentIs422) {
    shop s;
    long long lamps = create(s, "Lamps");
    auto r = move(s, lamps, 999, s.admin_token());
    EXPECT_EQ(r.status, 422) << r.body;
    EXPECT_EQ(r.json()["title"], "No such parent");
}

TEST(CategoryMove, OfAnUnknownCategoryIs404) {
    shop s;
    long long lamps = create(s, "Lamps");
    EXPECT_EQ(move(s, 999, lamps, s.admin_token()).status, 404);
}

TEST(CategoryMove, ANameTakenAmongTheNewSiblingsIs409) {
    shop s;
    long long lamps = create(s, "Lamps");
    long long furniture = create(s, "Furniture");
    long long desk = create(s, "Desk", lamps);
    create(s, "DESK", furniture);
    auto r = move(s, desk, furniture, s.admin_token());
    EXPECT_EQ(r.status, 409) << r.body;
    EXPECT_EQ(r.json()["title"], "Name taken");
    EXPECT_EQ(s.get(s.categories(), path(desk)).json()["parent_id"], lamps);
}

TEST(CategoryMove, ToTheTopWhereTheNameIsTakenIs409) {
    shop s;
    long long lamps = create(s, "Lamps");
    long long inner = create(s, "lamps", lamps);
    EXPECT_EQ(move(s, inner, nullptr, s.admin_token()).status, 409);
}

TEST(CategoryMove, ToWhereItAlreadyIsChangesNothing) {
    shop s;
    long long lamps = create(s, "Lamps");
    long long desk = create(s, "Desk", lamps);
    auto r = move(s, desk, lamps, s.admin_token());
    ASSERT_EQ(r.status, 200) << r.body;
    EXPECT_EQ(r.json()["parent_id"], lamps);
}

TEST(CategoryMove, NeedsParentId) {
    shop s;
    long long lamps = create(s, "Lamps");
    EXPECT_EQ(s.post(s.categories(), path(lamps) + "/move", nlohmann::json::object(), s.admin_token()).status, 400);
}

TEST(CategoryMove, NeedsCatalogWrite) {
    shop s;
    long long lamps = create(s, "Lamps");
    long long furniture = create(s, "Furniture");
    EXPECT_EQ(move(s, lamps, furniture, "").status, 401);
    EXPECT_EQ(move(s, lamps, furniture, s.login("shopper@example.org")).status, 403);
    EXPECT_TRUE(s.get(s.categories(), path(lamps)).json()["parent_id"].is_null());
}

// GET /v1/categories renders the tree recursively: its depth is bounded where it is built.
TEST(CategoryDepth, ACategoryPast32LevelsIsRefusedOnCreateAndOnMove) {
    shop s;
    long long top = create(s, "L1");
    long long deepest = top;
    for (int level = 2; level <= 32; ++level) deepest = create(s, "L" + std::to_string(level), deepest);
    auto r = s.post(s.categories(), "/v1/categories", {{"name", "L33"}, {"parent_id", deepest}}, s.admin_token());
    EXPECT_EQ(r.status, 422) << r.body;
    EXPECT_EQ(r.json()["title"], "Too deep");
    // A two-level subtree moved under level 31 would reach 33.
    long long other = create(s, "Other");
    create(s, "Child", other);
    long long level31 = subtree_ids(s, top).get<ids>().at(30);
    auto moved = move(s, other, level31, s.admin_token());
    EXPECT_EQ(moved.status, 422) << moved.body;
    EXPECT_EQ(moved.json()["title"], "Too deep");
    // Under level 30 it reaches exactly 32.
    long long level30 = subtree_ids(s, top).get<ids>().at(29);
    EXPECT_EQ(move(s, other, level30, s.admin_token()).status, 200);
}

}  // namespace
}  // namespace berth::test
