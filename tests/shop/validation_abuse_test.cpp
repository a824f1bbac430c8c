// The most expensive request bodies we can build against every shipped route that validates a
// body or query, each just under the 1 MiB body limit: each is refused 400 problem+json with a
// useful pointer, and the host keeps answering. Times are printed, never asserted (see bench/).
#include "support/shop.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <iostream>

namespace berth::test {
namespace {

constexpr std::size_t body_budget = 1048576 - 512;  // the default body limit, less some slack
constexpr int depth = 56;  // with the enclosing levels, at most 61: under the host's JSON depth limit (64)

std::string quoted(std::size_t n, char c) { return "\"" + std::string(n, c) + "\""; }

// `prefix` + value + `suffix`, where the value is a string of `c` filling the budget.
std::string with_huge_string(const std::string& prefix, char c, const std::string& suffix = "}") {
    return prefix + quoted(body_budget - prefix.size() - suffix.size() - 2, c) + suffix;
}

// A number with a mantissa filling the budget: 1.000...0001.
std::string with_long_number(const std::string& prefix, const std::string& suffix = "}") {
    return prefix + "1." + std::string(body_budget - prefix.size() - suffix.size() - 3, '0') + "1" + suffix;
}

// Arrays nested `depth` deep, repeated until the budget is used.
std::string with_deep_arrays(const std::string& prefix, const std::string& suffix = "}") {
    const std::string one = std::string(depth, '[') + std::string(depth, ']');
    std::string out = prefix + "[";
    while (out.size() + one.size() + 1 + suffix.size() + 1 < body_budget) out += one + ",";
    out.back() = ']';
    return out + suffix;
}

// {"p0":0,"p1":0,...}: every property unknown to a closed object.
std::string with_unknown_properties(const std::string& prefix = "{") {
    std::string out = prefix;
    for (int i = 0; out.size() + 16 < body_budget; ++i) out += "\"p" + std::to_string(i) + "\":0,";
    out.back() = '}';
    return out;
}

// {"items":[0,0,...]} with about half a million items, then the rest of the object.
std::string with_many_items(const std::string& suffix) {
    std::string out = "{\"items\":[";
    while (out.size() + 2 + suffix.size() + 1 < body_budget) out += "0,";
    out.back() = ']';
    return out + suffix;
}

const std::string card = R"({"number":"4242424242424242","exp_month":12,"exp_year":2030,"cvc":"123"})";
std::string fifty_bad_items() {
    std::string out = "[";
    for (int i = 0; i < 50; ++i) out += R"({"product_id":0,"quantity":0},)";
    out.back() = ']';
    return out;
}

class ValidationAbuse : public ::testing::Test {
protected:
    static void SetUpTestSuite() { shop_ = new shop(); }
    static void TearDownTestSuite() { delete shop_; }
    static shop& s() { return *shop_; }
    static shop* shop_;

    // Sends the body, checks the refusal and that the module still answers its health check.
    static void expect_refused(std::uint16_t port, const std::string& method, const std::string& target,
                               const std::string& body, const std::string& token, const std::string& pointer) {
        SCOPED_TRACE(method + " " + target.substr(0, 80) + " -> " + pointer);
        ASSERT_LT(body.size(), 1048576u);
        header_list headers{{"Content-Type", "application/json"}};
        if (!token.empty()) headers.emplace_back("Authorization", "Bearer " + token);
        auto start = std::chrono::steady_clock::now();
        auto r = http_request(port, method, target, body, headers);
        auto ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
        std::cout << "[ timing ] " << method << " " << target.substr(0, 60) << " (" << body.size() << " bytes, "
                  << pointer << "): " << ms << " ms\n";
        ASSERT_EQ(r.status, 400) << r.body.substr(0, 400);
        EXPECT_EQ(r.header("Content-Type"), "application/problem+json");
        auto errors = r.json()["errors"];
        ASSERT_TRUE(errors.is_array() && !errors.empty()) << r.body.substr(0, 400);
        EXPECT_LE(errors.size(), 50u);
        // Some error names the expected place; a pointer ending in "/p" is a prefix (unknown
        // properties are named by the client), and so is one ending in "/" (a body too bulky to
        // parse is refused where the parser stopped, inside that value).
        bool prefix = (pointer.size() >= 2 && pointer.compare(pointer.size() - 2, 2, "/p") == 0) ||
                      (!pointer.empty() && pointer.back() == '/');
        bool found = false;
        for (auto& e : errors) {
            auto got = e["pointer"].get<std::string>();
            found = found || (prefix ? got.rfind(pointer, 0) == 0 : got == pointer);
        }
        EXPECT_TRUE(found) << r.body.substr(0, 400);
        EXPECT_EQ(http_request(port, "GET", "/healthz").status, 200);
    }
};
shop* ValidationAbuse::shop_ = nullptr;

TEST_F(ValidationAbuse, RegisteringAUserRefusesTheWorstBodies) {
    const std::string good = R"({"password":"a fine password","name":"N",)";
    expect_refused(s().users(), "POST", "/v1/users", with_huge_string(good + "\"email\":", 'a'), {}, "/email");
    expect_refused(s().users(), "POST", "/v1/users",
                   with_huge_string(R"({"email":"a@b.co","password":"a fine password","name":)", 'n'), {}, "/name");
    expect_refused(s().users(), "POST", "/v1/users", with_unknown_properties(), {}, "/p");
    expect_refused(s().users(), "POST", "/v1/users", with_deep_arrays(good + "\"email\":"), {}, "/email/");
    expect_refused(s().users(), "POST", "/v1/users", with_long_number(good + "\"email\":"), {}, "/email");
}

TEST_F(ValidationAbuse, LoggingInRefusesTheWorstBodies) {
    expect_refused(s().users(), "POST", "/v1/sessions", with_huge_string(R"({"password":"x","email":)", 'a'), {},
                   "/email");
    expect_refused(s().users(), "POST", "/v1/sessions", with_unknown_properties(), {}, "/p");
    expect_refused(s().users(), "POST", "/v1/sessions", with_deep_arrays(R"({"password":"x","email":)"), {},
                   "/email/");
}

TEST_F(ValidationAbuse, ChangingAPasswordRefusesTheWorstBodies) {
    auto token = s().login("abuser@example.org");
    const std::string prefix = R"({"current_password":"a fine password","new_password":)";
    expect_refused(s().users(), "POST", "/v1/users/me/password", with_huge_string(prefix, 'x'), token,
                   "/new_password");
    expect_refused(s().users(), "POST", "/v1/users/me/password", with_unknown_properties(), token, "/p");
    expect_refused(s().users(), "POST", "/v1/users/me/password", with_long_number(prefix), token, "/new_password");
}

// Catalogue writes check the token's scope before the body, so these use an operator's token.
TEST_F(ValidationAbuse, CreatingAndRenamingCategoriesRefusesTheWorstBodies) {
    auto token = s().admin_token();
    expect_refused(s().categories(), "POST", "/v1/categories", with_huge_string(R"({"name":)", 'c'), token, "/name");
    expect_refused(s().categories(), "POST", "/v1/categories", with_unknown_properties(), token, "/p");
    expect_refused(s().categories(), "POST", "/v1/categories", with_deep_arrays(R"({"name":)"), token, "/name/");
    expect_refused(s().categories(), "POST", "/v1/categories", with_long_number(R"({"name":"n","parent_id":)"),
                   token, "/parent_id");
    expect_refused(s().categories(), "POST", "/v1/categories/1/rename", with_huge_string(R"({"name":)", 'c'), token,
                   "/name");
    expect_refused(s().categories(), "POST", "/v1/categories/1/rename", with_unknown_properties(), token, "/p");
}

TEST_F(ValidationAbuse, CreatingAProductRefusesTheWorstBodies) {
    auto token = s().admin_token();
    const std::string good = R"({"name":"n","price_cents":1,"category_id":1,)";
    // currency has a pattern and no maxLength: the pattern itself runs over the whole megabyte.
    expect_refused(s().products(), "POST", "/v1/products", with_huge_string(good + R"("sku":"S","currency":)", 'E'),
                   token, "/currency");
    expect_refused(s().products(), "POST", "/v1/products", with_huge_string(good + R"("currency":"EUR","sku":)", 'S'),
                   token, "/sku");
    expect_refused(s().products(), "POST", "/v1/products", with_unknown_properties(), token, "/p");
    expect_refused(s().products(), "POST", "/v1/products", with_deep_arrays(good + R"("currency":"EUR","sku":)"),
                   token, "/sku/");
    expect_refused(s().products(), "POST", "/v1/products",
                   with_long_number(R"({"name":"n","sku":"S","currency":"EUR","category_id":1,"price_cents":)"),
                   token, "/price_cents");
}

TEST_F(ValidationAbuse, RepricingAndRestockingRefuseTheWorstBodies) {
    auto token = s().admin_token();
    for (const char* action : {"reprice", "restock"}) {
        const std::string target = std::string("/v1/products/1/") + action;
        const std::string field = std::string(action) == "reprice" ? "price_cents" : "quantity";
        expect_refused(s().products(), "POST", target, with_unknown_properties(), token, "/p");
        expect_refused(s().products(), "POST", target, with_huge_string("{\"" + field + "\":", '9'), token,
                       "/" + field);
        expect_refused(s().products(), "POST", target, with_deep_arrays("{\"" + field + "\":"), token, "/" + field + "/");
    }
}

// The query is bounded by the 8 KiB header limit rather than the body limit.
TEST_F(ValidationAbuse, ListingProductsRefusesTheWorstQueries) {
    expect_refused(s().products(), "GET", "/v1/products?cursor=" + std::string(7000, '9'), {}, {}, "/cursor");
    std::string many = "/v1/products?q=x";
    for (int i = 0; many.size() < 7000; ++i) many += "&p" + std::to_string(i) + "=1";
    expect_refused(s().products(), "GET", many, {}, {}, "/p");
    expect_refused(s().products(), "GET", "/v1/products?limit=" + std::string(7000, '9'), {}, {}, "/limit");
}

TEST_F(ValidationAbuse, CheckingOutRefusesTheWorstBodies) {
    auto token = s().login("abuser@example.org");
    // Half a million items, each invalid: only the maxItems error, found before any item is read.
    expect_refused(s().payment(), "POST", "/v1/checkouts", with_many_items(",\"card\":" + card + "}"), token,
                   "/items");
    // The card number has a pattern and no maxLength.
    expect_refused(s().payment(), "POST", "/v1/checkouts",
                   with_huge_string("{\"items\":" + fifty_bad_items() + ",\"card\":{\"exp_month\":12,"
                                    "\"exp_year\":2030,\"cvc\":\"123\",\"number\":",
                                    '4', "}}"),
                   token, "/card/number");
    expect_refused(s().payment(), "POST", "/v1/checkouts", with_unknown_properties(), token, "/p");
    expect_refused(s().payment(), "POST", "/v1/checkouts",
                   with_deep_arrays("{\"card\":" + card + ",\"items\":[{\"product_id\":1,\"quantity\":", "}]}"), token,
                   "/items/0/quantity/");
}

// Reservations are for the payment module only: the caller check answers before the body is read.
TEST_F(ValidationAbuse, ReservingStockFromOutsideIsRefusedBeforeValidation) {
    auto r = http_request(s().products(), "POST", "/v1/reservations", with_many_items("}"),
                          {{"Content-Type", "application/json"}});
    EXPECT_EQ(r.status, 403) << r.body.substr(0, 200);
    EXPECT_EQ(http_request(s().products(), "GET", "/healthz").status, 200);
}

}  // namespace
}  // namespace berth::test
