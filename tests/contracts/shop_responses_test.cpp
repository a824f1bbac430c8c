// The shop's real responses against the documents its modules publish, checked by a validator
// that shares no code with Berth (tests/contracts/validate_responses.py: python3-jsonschema,
// Draft 2020-12). The purchase walkthrough of docs/shop.md, and the refusals around it, are
// recorded as a client saw them; the documents are fetched from each module's GET /openapi.json,
// and the merged one from the admin listener's (open without the admin token).
#include "contracts/python_tool.hpp"
#include "support/shop.hpp"

#include <gtest/gtest.h>

#include <fstream>
#include <regex>

namespace berth::test {
namespace {

// Every answer of the shop's modules, as the client received it.
class recorder {
public:
    explicit recorder(shop& s) : shop_(s) {}

    reply call(const std::string& module, const std::string& method, const std::string& target, const std::string& body,
               header_list headers) {
        auto r = http_request(shop_.host().port(module), method, target, body, headers);
        entries_.push_back({{"module", module},
                            {"method", method},
                            {"path", target.substr(0, target.find('?'))},
                            {"status", r.status},
                            {"content_type", r.header("Content-Type")},
                            {"body", r.body}});
        return r;
    }
    reply post(const std::string& module, const std::string& target, const nlohmann::json& body, const std::string& token = {},
               header_list extra = {}) {
        if (!body.is_null()) extra.emplace_back("Content-Type", "application/json");
        if (!token.empty()) extra.emplace_back("Authorization", "Bearer " + token);
        return call(module, "POST", target, body.is_null() ? std::string() : body.dump(), extra);
    }
    reply get(const std::string& module, const std::string& target, const std::string& token = {}) {
        header_list h;
        if (!token.empty()) h.emplace_back("Authorization", "Bearer " + token);
        return call(module, "GET", target, {}, h);
    }

    std::size_t size() const { return entries_.size(); }
    const nlohmann::json& entries() const { return entries_; }

private:
    shop& shop_;
    nlohmann::json entries_ = nlohmann::json::array();
};

nlohmann::json order(long long product, long long quantity) {
    return nlohmann::json::array({{{"product_id", product}, {"quantity", quantity}}});
}
nlohmann::json with_card(const nlohmann::json& items, const std::string& number = "4242424242424242", int exp_year = 2099) {
    return {{"items", items}, {"card", {{"number", number}, {"exp_month", 12}, {"exp_year", exp_year}, {"cvc", "123"}}}};
}
header_list key(const std::string& k) { return {{"Idempotency-Key", k}}; }

void write_json(const std::filesystem::path& file, const nlohmann::json& j) {
    std::ofstream out(file, std::ios::trunc);
    out << j.dump(2) << '\n';
    if (!out) throw std::runtime_error("cannot write " + file.string());
}

// Accounts: registration, log-in, who am I, password change, and their refusals.
std::vector<std::string> users_walkthrough(recorder& rec, const std::string& operator_token) {
    std::vector<std::string> tokens;
    for (int i = 0; i < 10; ++i) {
        const std::string email = "shopper" + std::to_string(i) + "@shop.example";
        EXPECT_EQ(rec.post("users", "/v1/users", {{"email", email}, {"password", "a fine password"}, {"name", "Shopper " + std::to_string(i)}}).status, 201);
        auto s = rec.post("users", "/v1/sessions", {{"email", email}, {"password", "a fine password"}});
        EXPECT_EQ(s.status, 200);
        tokens.push_back(s.json().value("token", ""));
        EXPECT_EQ(rec.get("users", "/v1/users/me", tokens.back()).status, 200);
    }
    EXPECT_EQ(rec.post("users", "/v1/users", {{"email", "SHOPPER0@shop.example"}, {"password", "a fine password"}, {"name", "Again"}}).status, 409);
    EXPECT_EQ(rec.post("users", "/v1/users", {{"email", "short@shop.example"}, {"password", "short"}, {"name", "S"}}).status, 400);
    EXPECT_EQ(rec.post("users", "/v1/sessions", {{"email", "shopper1@shop.example"}, {"password", "not the password"}}).status, 401);
    EXPECT_EQ(rec.post("users", "/v1/sessions", {{"email", "nobody@shop.example"}, {"password", "a fine password"}}).status, 401);
    EXPECT_EQ(rec.get("users", "/v1/users/me").status, 401);
    EXPECT_EQ(rec.get("users", "/v1/users/me", operator_token).status, 404);
    EXPECT_EQ(rec.post("users", "/v1/users/me/password", {{"current_password", "wrong one"}, {"new_password", "another fine one"}}, tokens[9]).status, 403);
    EXPECT_EQ(rec.post("users", "/v1/users/me/password", {{"current_password", "a fine password"}, {"new_password", "another fine one"}}, tokens[9]).status, 204);
    auto again = rec.post("users", "/v1/sessions", {{"email", "shopper9@shop.example"}, {"password", "another fine one"}});
    EXPECT_EQ(again.status, 200);
    EXPECT_EQ(rec.get("users", "/v1/users/me", tokens[9]).status, 401);  // the change ended the older session
    tokens[9] = again.json().value("token", "");
    return tokens;
}

// The catalogue's tree, four levels deep; returns the ids of the leaf categories products go in.
std::vector<long long> categories_walkthrough(recorder& rec, const std::string& op, const std::string& shopper) {
    EXPECT_EQ(rec.post("categories", "/v1/categories", {{"name", "Lamps"}}).status, 401);
    EXPECT_EQ(rec.post("categories", "/v1/categories", {{"name", "Lamps"}}, shopper).status, 403);
    auto lamps = rec.post("categories", "/v1/categories", {{"name", "Lamps"}}, op);
    EXPECT_EQ(lamps.status, 201);
    const long long top = lamps.json().value("id", 0LL);
    std::vector<long long> leaves;
    for (const char* name : {"Desk lamps", "Floor lamps", "Wall lamps", "Ceiling lamps", "Reading lamps"}) {
        auto c = rec.post("categories", "/v1/categories", {{"name", name}, {"parent_id", top}}, op);
        EXPECT_EQ(c.status, 201);
        leaves.push_back(c.json().value("id", 0LL));
    }
    long long parent = leaves[0];
    for (const char* name : {"Brass", "Polished", "Antique"}) {  // Lamps > Desk lamps > Brass > Polished > Antique
        auto c = rec.post("categories", "/v1/categories", {{"name", name}, {"parent_id", parent}}, op);
        EXPECT_EQ(c.status, 201);
        parent = c.json().value("id", 0LL);
    }
    EXPECT_EQ(rec.post("categories", "/v1/categories", {{"name", "desk LAMPS"}, {"parent_id", top}}, op).status, 409);
    EXPECT_EQ(rec.post("categories", "/v1/categories", {{"name", "Orphans"}, {"parent_id", 999999}}, op).status, 422);
    EXPECT_EQ(rec.post("categories", "/v1/categories", {{"name", ""}}, op).status, 400);
    EXPECT_EQ(rec.post("categories", "/v1/categories", {{"name", "Top"}, {"parent_id", nullptr}}, op).status, 201);
    for (int i = 0; i < 3; ++i) EXPECT_EQ(rec.get("categories", "/v1/categories").status, 200);
    for (long long id : leaves) EXPECT_EQ(rec.get("categories", "/v1/categories/" + std::to_string(id)).status, 200);
    EXPECT_EQ(rec.get("categories", "/v1/categories/999999").status, 404);
    EXPECT_EQ(rec.get("categories", "/v1/categories/abc").status, 404);
    const std::string rename = "/v1/categories/" + std::to_string(leaves[4]) + "/rename";
    EXPECT_EQ(rec.post("categories", rename, {{"name", "Bedside lamps"}}, op).status, 200);
    EXPECT_EQ(rec.post("categories", rename, {{"name", "Wall Lamps"}}, op).status, 409);
    EXPECT_EQ(rec.post("categories", "/v1/categories/999999/rename", {{"name", "Gone"}}, op).status, 404);
    // The tree's edits (issue 12): a subtree, a move there and back, and the refusals of both and of delete.
    EXPECT_EQ(rec.get("categories", "/v1/categories/" + std::to_string(top) + "/subtree").status, 200);
    EXPECT_EQ(rec.get("categories", "/v1/categories/999999/subtree").status, 404);
    auto spare = rec.post("categories", "/v1/categories", {{"name", "  Spare  "}}, op);
    EXPECT_EQ(spare.status, 201);
    const std::string move_spare = "/v1/categories/" + std::to_string(spare.json().value("id", 0LL)) + "/move";
    EXPECT_EQ(rec.post("categories", move_spare, {{"parent_id", leaves[1]}}, op).status, 200);
    EXPECT_EQ(rec.post("categories", move_spare, {{"parent_id", nullptr}}, op).status, 200);
    EXPECT_EQ(rec.post("categories", move_spare, {{"parent_id", 999999}}, op).status, 422);
    const std::string move_top = "/v1/categories/" + std::to_string(top) + "/move";
    EXPECT_EQ(rec.post("categories", move_top, {{"parent_id", leaves[0]}}, op).status, 409);
    EXPECT_EQ(rec.post("categories", "/v1/categories/999999/move", {{"parent_id", nullptr}}, op).status, 404);
    const header_list bearer = {{"Authorization", "Bearer " + op}};
    EXPECT_EQ(rec.call("categories", "DELETE", "/v1/categories/" + std::to_string(top), {}, bearer).status, 409);
    EXPECT_EQ(rec.call("categories", "DELETE", "/v1/categories/999999", {}, bearer).status, 404);
    return leaves;
}

// Twenty products with stock, listed and paged; one repriced, one discontinued.
std::vector<long long> products_walkthrough(recorder& rec, const std::string& op, const std::vector<long long>& categories) {
    std::vector<long long> ids;
    for (int i = 0; i < 20; ++i) {
        auto p = rec.post("products", "/v1/products",
                          {{"sku", "LMP-" + std::to_string(i)},
                           {"name", "Lamp number " + std::to_string(i)},
                           {"price_cents", 1000 + i},
                           {"currency", "EUR"},
                           {"category_id", categories[i % categories.size()]}},
                          op);
        EXPECT_EQ(p.status, 201);
        ids.push_back(p.json().value("id", 0LL));
        EXPECT_EQ(rec.post("products", "/v1/products/" + std::to_string(ids.back()) + "/restock", {{"quantity", 50}}, op).status, 200);
    }
    const nlohmann::json dup = {{"sku", "LMP-0"}, {"name", "Twin"}, {"price_cents", 1}, {"currency", "EUR"}, {"category_id", categories[0]}};
    EXPECT_EQ(rec.post("products", "/v1/products", dup, op).status, 409);
    auto orphan = dup;
    orphan["sku"] = "ORPHAN-1";
    orphan["category_id"] = 999999;
    EXPECT_EQ(rec.post("products", "/v1/products", orphan, op).status, 422);
    orphan["currency"] = "eur";
    EXPECT_EQ(rec.post("products", "/v1/products", orphan, op).status, 400);
    for (long long id : ids) EXPECT_EQ(rec.get("products", "/v1/products/" + std::to_string(id)).status, 200);
    EXPECT_EQ(rec.get("products", "/v1/products/999999").status, 404);
    EXPECT_EQ(rec.get("products", "/v1/products/x1").status, 404);

    std::string cursor;
    int pages = 0;
    do {  // five at a time, to the end
        auto page = rec.get("products", "/v1/products?limit=5" + (cursor.empty() ? "" : "&cursor=" + cursor));
        EXPECT_EQ(page.status, 200);
        auto next = page.json().value("next_cursor", nlohmann::json());
        cursor = next.is_string() ? next.get<std::string>() : "";
    } while (++pages < 10 && !cursor.empty());
    EXPECT_EQ(pages, 4);
    const std::string by_category = "?category_id=" + std::to_string(categories[0]);
    for (std::string q : {"", "?q=LMP-1", "?q=number%201", "?q=nothing-like-it", by_category.c_str()})
        EXPECT_EQ(rec.get("products", "/v1/products" + q).status, 200);
    EXPECT_EQ(rec.get("products", "/v1/products?limit=0").status, 400);

    const std::string first = "/v1/products/" + std::to_string(ids[0]);
    EXPECT_EQ(rec.post("products", first + "/reprice", {{"price_cents", 1500}}, op).status, 200);
    EXPECT_EQ(rec.post("products", "/v1/products/999999/reprice", {{"price_cents", 1500}}, op).status, 404);
    EXPECT_EQ(rec.post("products", "/v1/products/999999/restock", {{"quantity", 1}}, op).status, 404);
    EXPECT_EQ(rec.post("products", "/v1/products/" + std::to_string(ids[19]) + "/discontinue", nullptr, op).status, 200);
    EXPECT_EQ(rec.post("products", "/v1/products/999999/discontinue", nullptr, op).status, 404);
    return ids;
}

// Every shopper buys; replays, refusals, a declined card, lookups and refunds.
void payment_walkthrough(recorder& rec, const std::vector<std::string>& shoppers, const std::vector<long long>& products) {
    std::vector<std::string> payments;
    for (std::size_t i = 0; i < shoppers.size(); ++i) {  // each shopper looks, then buys
        EXPECT_EQ(rec.get("products", "/v1/products?limit=20").status, 200);
        EXPECT_EQ(rec.get("products", "/v1/products/" + std::to_string(products[i])).status, 200);
        auto c = rec.post("payment", "/v1/checkouts", with_card(order(products[i], 2)), shoppers[i], key("order-" + std::to_string(i)));
        EXPECT_EQ(c.status, 201) << c.body;
        payments.push_back(c.json().value("payment_id", ""));
    }
    auto replay = rec.post("payment", "/v1/checkouts", with_card(order(products[0], 2)), shoppers[0], key("order-0"));
    EXPECT_EQ(replay.status, 201);
    const auto& a = shoppers[0];
    EXPECT_EQ(rec.post("payment", "/v1/checkouts", with_card(order(products[0], 1)), a, key("order-0")).status, 409);
    EXPECT_EQ(rec.post("payment", "/v1/checkouts", with_card(order(products[1], 1))).status, 401);
    EXPECT_EQ(rec.post("payment", "/v1/checkouts", with_card(order(products[1], 1)), a).status, 400);
    EXPECT_EQ(rec.post("payment", "/v1/checkouts", {{"items", order(products[1], 1)}}, a, key("no-card")).status, 400);
    EXPECT_EQ(rec.post("payment", "/v1/checkouts", with_card(order(products[2], 1000)), a, key("too-many")).status, 409);
    EXPECT_EQ(rec.post("payment", "/v1/checkouts", with_card(order(products[19], 1)), a, key("discontinued")).status, 422);
    EXPECT_EQ(rec.post("payment", "/v1/checkouts", with_card(order(products[2], 1), "4242424242424241"), a, key("luhn")).status, 422);
    EXPECT_EQ(rec.post("payment", "/v1/checkouts", with_card(order(products[2], 1), "4242424242424242", 2001), a, key("expired")).status, 422);
    auto declined = rec.post("payment", "/v1/checkouts", with_card(order(products[3], 1), "4000000000000002"), a, key("declined"));
    EXPECT_EQ(declined.status, 402);
    const std::string declined_id = declined.json().value("payment_id", "");

    for (std::size_t i = 0; i < payments.size(); ++i)
        EXPECT_EQ(rec.get("payment", "/v1/payments/" + payments[i], shoppers[i]).status, 200);
    EXPECT_EQ(rec.get("payment", "/v1/payments/" + declined_id, a).status, 200);
    EXPECT_EQ(rec.get("payment", "/v1/payments/" + payments[1], a).status, 404);
    EXPECT_EQ(rec.get("payment", "/v1/payments/" + payments[1]).status, 401);
    for (std::size_t i = 0; i < 3; ++i)
        EXPECT_EQ(rec.post("payment", "/v1/payments/" + payments[i] + "/refund", nullptr, shoppers[i]).status, 200);
    EXPECT_EQ(rec.post("payment", "/v1/payments/" + payments[0] + "/refund", nullptr, a).status, 409);
    EXPECT_EQ(rec.post("payment", "/v1/payments/" + declined_id + "/refund", nullptr, a).status, 409);
    EXPECT_EQ(rec.post("payment", "/v1/payments/pay_000000000000000000000000/refund", nullptr, a).status, 404);
    for (std::size_t i = 0; i < payments.size(); ++i)  // after the refunds: some refunded, some captured
        EXPECT_EQ(rec.get("payment", "/v1/payments/" + payments[i], shoppers[i]).status, 200);
    // Issue 12: lists, and a partial refund with a reason; too much; a forged cursor.
    EXPECT_EQ(rec.post("payment", "/v1/payments/" + payments[3] + "/refund", {{"amount_cents", 1}, {"reason", "partial"}},
                       shoppers[3]).status, 200);
    EXPECT_EQ(rec.post("payment", "/v1/payments/" + payments[3] + "/refund", {{"amount_cents", 1000000000}}, shoppers[3]).status, 422);
    for (std::string q : {"", "?limit=1", "?status=refunded", "?status=declined"})
        EXPECT_EQ(rec.get("payment", "/v1/payments" + q, a).status, 200);
    EXPECT_EQ(rec.get("payment", "/v1/payments?cursor=abc", a).status, 400);
}

TEST(ShopResponses, TwoHundredRealResponsesValidateAgainstEachModulesDocumentAndTheMergedOne) {
    shop s;
    recorder rec(s);
    const std::string op = s.admin_token();
    auto shoppers = users_walkthrough(rec, op);
    auto categories = categories_walkthrough(rec, op, shoppers[0]);
    auto products = products_walkthrough(rec, op, categories);
    payment_walkthrough(rec, shoppers, products);
    ASSERT_GE(rec.size(), 200u);

    const auto out = contracts_output_dir() / "shop-responses";
    std::filesystem::create_directories(out);
    const auto recording = out / "recording.json";
    write_json(recording, rec.entries());
    bool published = true;
    auto fetch = [&](std::uint16_t port, const std::string& name) {
        auto doc = http_request(port, "GET", "/openapi.json");
        EXPECT_EQ(doc.status, 200) << name << " publishes no GET /openapi.json";
        published = published && doc.status == 200;
        const auto file = out / (name + ".openapi.json");
        write_json(file, doc.status == 200 ? doc.json() : nlohmann::json::object());
        return file.string();
    };
    std::vector<std::string> modules;
    for (const char* module : {"users", "categories", "products", "payment"}) modules.push_back(fetch(s.host().port(module), module));
    const std::string merged = fetch(s.host().admin_port(), "merged");  // the admin listener's, every module in one
    ASSERT_TRUE(published);

    for (auto docs : {modules, std::vector<std::string>{merged}}) {
        SCOPED_TRACE(docs.size() == 1 ? "the merged document" : "each module's document");
        docs.push_back(recording.string());
        auto run = run_python_tool("validate_responses.py", docs);
        std::cout << run.output;
        EXPECT_EQ(run.exit_code, 0) << run.output;
        std::smatch m;
        ASSERT_TRUE(std::regex_search(run.output, m, std::regex("checked (\\d+) responses, (\\d+) failures"))) << run.output;
        EXPECT_EQ(std::stoul(m[1]), rec.size());
        EXPECT_EQ(std::stoul(m[2]), 0u);
    }
}

}  // namespace
}  // namespace berth::test
