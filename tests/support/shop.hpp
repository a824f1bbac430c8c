// The shop, started for real: users, categories, products and payment on port 0, each with its
// own database in a fresh data directory. Helpers speak the public HTTP API only.
#pragma once

#include "support/http_client.hpp"
#include "support/test_host.hpp"

#include <string>

namespace berth::test {

class shop {
public:
    static constexpr const char* admin_email = "admin@shop.example";
    static constexpr const char* admin_password = "correct horse battery";

    // `settings`: {"<module>": {...}} merged into that module's settings (TTLs, intervals).
    explicit shop(nlohmann::json top = nlohmann::json::object(), nlohmann::json settings = nlohmann::json::object());

    test_host& host() { return *host_; }
    std::uint16_t users() { return host_->port("users"); }
    std::uint16_t categories() { return host_->port("categories"); }
    std::uint16_t products() { return host_->port("products"); }
    std::uint16_t payment() { return host_->port("payment"); }

    // POST with JSON and an optional bearer token and extra headers.
    reply post(std::uint16_t port, const std::string& target, const nlohmann::json& body, const std::string& token = {},
               header_list extra = {});
    reply get(std::uint16_t port, const std::string& target, const std::string& token = {});

    // Registers (if needed) and logs in; returns the bearer token.
    std::string login(const std::string& email, const std::string& password = "a fine password");
    std::string admin_token();  // a token with catalog:write, minted by the operator (admin API POST /tokens)
    // A token minted on the admin API, as an operator grants a scope.
    std::string mint_token(const std::string& subject, const std::string& scope);

    long long category(const std::string& name);
    // A product in a fresh category, with `stock` units in stock.
    long long product(const std::string& sku, long long price_cents, long long stock, const std::string& currency = "EUR");

    static nlohmann::json card(const std::string& number = "4242424242424242");
    reply checkout(const std::string& token, const std::string& key, const nlohmann::json& items,
                   const nlohmann::json& card = shop::card());
    long long stock(long long product_id);

private:
    std::unique_ptr<test_host> host_;
    std::string admin_token_;
    int categories_made_ = 0;
};

// Runs a read-only SQL query against a module's SQLite file; returns the first column of each row.
std::vector<std::string> sql(const std::filesystem::path& db, const std::string& query);
// Runs SQL that writes (several statements allowed), e.g. to leave what a crash would leave.
void sql_exec(const std::filesystem::path& db, const std::string& statements);

}  // namespace berth::test
