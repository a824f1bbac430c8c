// Path templates and request targets, table-driven.
#include "http/route_table.hpp"
#include "http/target.hpp"

#include <gtest/gtest.h>

namespace berth::host::http {
namespace {

TEST(Target, SplitsAndDecodes) {
    struct row {
        std::string target, path;
        std::vector<std::string> segments;
        std::vector<std::pair<std::string, std::string>> query;
    };
    const std::vector<row> rows = {
        {"/", "/", {}, {}},
        {"/v1/items", "/v1/items", {"v1", "items"}, {}},
        {"/v1/a%2Fb?x=1&y=two+words&flag", "/v1/a/b", {"v1", "a/b"}, {{"x", "1"}, {"y", "two words"}, {"flag", ""}}},
        {"/v1/items/?q=%C3%A9", "/v1/items/", {"v1", "items", ""}, {{"q", "\xC3\xA9"}}},
    };
    for (auto& r : rows) {
        SCOPED_TRACE(r.target);
        auto t = parse_target(r.target);
        ASSERT_TRUE(t);
        EXPECT_EQ(t->path, r.path);
        EXPECT_EQ(t->segments, r.segments);
        EXPECT_EQ(t->query, r.query);
    }
}

TEST(Target, RejectsWhatIsNotAnOriginFormPath) {
    for (std::string bad : {"", "v1/items", "http://x/y", "/a%2", "/a%zz", "/a?b=%"}) {
        SCOPED_TRACE(bad);
        std::string why;
        EXPECT_FALSE(parse_target(bad, &why));
        EXPECT_FALSE(why.empty());
    }
}

TEST(RouteTable, MatchesTemplatesAndExtractsParams) {
    route_table t;
    t.add("GET", "/v1/products/{id}", 0);
    t.add("POST", "/v1/products/{id}/reprice", 1);
    t.add("GET", "/v1/products/search", 2);
    t.add("DELETE", "/v1/products/{id}", 3);

    auto m = t.find("POST", {"v1", "products", "p-9", "reprice"});
    ASSERT_EQ(m.result, route_table::outcome::found);
    EXPECT_EQ(m.id, 1u);
    EXPECT_EQ(m.params, (std::vector<std::pair<std::string, std::string>>{{"id", "p-9"}}));

    EXPECT_EQ(t.find("GET", {"v1", "products", "search"}).id, 2u);
    EXPECT_EQ(t.find("GET", {"v1", "products", "other"}).id, 0u);

    auto wrong = t.find("PATCH", {"v1", "products", "1"});
    EXPECT_EQ(wrong.result, route_table::outcome::method_not_allowed);
    EXPECT_EQ(wrong.allowed, (std::vector<std::string>{"GET", "DELETE"}));

    EXPECT_EQ(t.find("GET", {"v2", "products", "1"}).result, route_table::outcome::not_found);
    EXPECT_EQ(t.find("GET", {"v1", "products"}).result, route_table::outcome::not_found);
}

TEST(RouteTable, RefusesMalformedAndDuplicateTemplates) {
    route_table t;
    t.add("GET", "/v1/items/{id}", 0);
    for (std::string bad : {"v1/items", "/v1//items", "/v1/{}", "/v1/{a-b}", "/v1/x{id}", "/v1/{id}/{id}"}) {
        SCOPED_TRACE(bad);
        EXPECT_THROW(t.add("GET", bad, 9), std::invalid_argument);
    }
    EXPECT_THROW(t.add("GET", "/v1/items/{other}", 1), std::invalid_argument);
    EXPECT_NO_THROW(t.add("POST", "/v1/items/{other}", 1));
}

}  // namespace
}  // namespace berth::host::http
