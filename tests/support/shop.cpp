#include "support/shop.hpp"

#include <sqlite3.h>

#include <stdexcept>

namespace berth::test {

shop::shop(nlohmann::json top, nlohmann::json settings) {
    nlohmann::json t = {{"auth", {{"issuer", "berth-test"}, {"token_ttl_s", 600}}}};
    t.merge_patch(top);
    auto options = [&](const std::string& module, nlohmann::json base) {
        if (settings.contains(module)) base.merge_patch(settings[module]);
        return nlohmann::json{{"settings", base}};
    };
    host_ = std::make_unique<test_host>(
        std::vector<plugin_spec>{
            {"users", shipped_plugin("users"), options("users", nlohmann::json::object())},
            {"categories", shipped_plugin("categories"), options("categories", nlohmann::json::object())},
            {"products", shipped_plugin("products"), options("products", nlohmann::json::object())},
            {"payment", shipped_plugin("payment"), options("payment", nlohmann::json::object())},
        },
        t);
}

reply shop::post(std::uint16_t port, const std::string& target, const nlohmann::json& body, const std::string& token,
                 header_list extra) {
    extra.emplace_back("Content-Type", "application/json");
    if (!token.empty()) extra.emplace_back("Authorization", "Bearer " + token);
    return http_request(port, "POST", target, body.is_null() ? std::string() : body.dump(), extra);
}

reply shop::get(std::uint16_t port, const std::string& target, const std::string& token) {
    header_list h;
    if (!token.empty()) h.emplace_back("Authorization", "Bearer " + token);
    return http_request(port, "GET", target, {}, h);
}

std::string shop::login(const std::string& email, const std::string& password) {
    auto reg = post(users(), "/v1/users", {{"email", email}, {"password", password}, {"name", email.substr(0, email.find('@'))}});
    if (reg.status != 201 && reg.status != 409) throw std::runtime_error("register failed: " + reg.body);
    auto r = post(users(), "/v1/sessions", {{"email", email}, {"password", password}});
    if (r.status != 200) throw std::runtime_error("login failed: " + r.body);
    return r.json()["token"];
}

std::string shop::admin_token() {
    if (admin_token_.empty()) admin_token_ = mint_token("catalog-admin", "catalog:write");
    return admin_token_;
}

std::string shop::mint_token(const std::string& subject, const std::string& scope) {
    auto r = host_->admin("POST", "/tokens", nlohmann::json{{"subject", subject}, {"scope", scope}, {"ttl_s", 3600}}.dump());
    if (r.status != 201) throw std::runtime_error("POST /tokens failed: " + r.body);
    return r.json()["token"];
}

long long shop::category(const std::string& name) {
    auto r = post(categories(), "/v1/categories", {{"name", name}}, admin_token());
    if (r.status != 201) throw std::runtime_error("category failed: " + r.body);
    return r.json()["id"];
}

long long shop::product(const std::string& sku, long long price_cents, long long stock, const std::string& currency) {
    auto cat = category("category " + std::to_string(++categories_made_) + " for " + sku);
    auto r = post(products(), "/v1/products",
                  {{"sku", sku}, {"name", "Product " + sku}, {"price_cents", price_cents}, {"currency", currency}, {"category_id", cat}},
                  admin_token());
    if (r.status != 201) throw std::runtime_error("product failed: " + r.body);
    long long id = r.json()["id"];
    if (stock > 0) {
        auto s = post(products(), "/v1/products/" + std::to_string(id) + "/restock", {{"quantity", stock}}, admin_token());
        if (s.status != 200) throw std::runtime_error("restock failed: " + s.body);
    }
    return id;
}

nlohmann::json shop::card(const std::string& number) {
    return {{"number", number}, {"exp_month", 12}, {"exp_year", 2099}, {"cvc", "123"}};
}

reply shop::checkout(const std::string& token, const std::string& key, const nlohmann::json& items, const nlohmann::json& card) {
    header_list h;
    if (!key.empty()) h.emplace_back("Idempotency-Key", key);
    return post(payment(), "/v1/checkouts", {{"items", items}, {"card", card}}, token, h);
}

long long shop::stock(long long product_id) {
    return get(products(), "/v1/products/" + std::to_string(product_id)).json()["stock"];
}

std::vector<std::string> sql(const std::filesystem::path& db, const std::string& query) {
    sqlite3* h = nullptr;
    if (sqlite3_open_v2(db.c_str(), &h, SQLITE_OPEN_READONLY, nullptr) != SQLITE_OK) {
        sqlite3_close(h);
        throw std::runtime_error("cannot open " + db.string());
    }
    sqlite3_busy_timeout(h, 5000);
    sqlite3_stmt* st = nullptr;
    if (sqlite3_prepare_v2(h, query.c_str(), -1, &st, nullptr) != SQLITE_OK) {
        std::string why = sqlite3_errmsg(h);
        sqlite3_close(h);
        throw std::runtime_error("bad query: " + why);
    }
    std::vector<std::string> out;
    while (sqlite3_step(st) == SQLITE_ROW) {
        auto* text = sqlite3_column_text(st, 0);
        out.emplace_back(text ? reinterpret_cast<const char*>(text) : "");
    }
    sqlite3_finalize(st);
    sqlite3_close(h);
    return out;
}

void sql_exec(const std::filesystem::path& db, const std::string& statements) {
    sqlite3* h = nullptr;
    if (sqlite3_open_v2(db.c_str(), &h, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, nullptr) != SQLITE_OK) {
        sqlite3_close(h);
        throw std::runtime_error("cannot open " + db.string());
    }
    sqlite3_busy_timeout(h, 5000);
    char* error = nullptr;
    const int rc = sqlite3_exec(h, statements.c_str(), nullptr, nullptr, &error);
    std::string why = error ? error : "";
    sqlite3_free(error);
    sqlite3_close(h);
    if (rc != SQLITE_OK) throw std::runtime_error("sql_exec failed: " + why);
}

}  // namespace berth::test
