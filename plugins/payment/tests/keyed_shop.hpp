// What the idempotency and refund suites share: a checkout's items, a captured payment, and
// ageing a key by moving its row's created_at back (keys expire after idempotency_ttl_s; no test
// sleeps for that).
#pragma once

#include "support/shop.hpp"

#include <filesystem>
#include <stdexcept>
#include <string>

namespace berth::test::keyed_shop {

inline nlohmann::json items(long long product, long long quantity) {
    return nlohmann::json::array({{{"product_id", product}, {"quantity", quantity}}});
}

// A captured payment of `quantity` units of a new product at `price` cents; returns its path.
inline std::string bought(shop& s, const std::string& sku, const std::string& token, long long price,
                          long long quantity = 1, long long stock = 10) {
    auto id = s.product(sku, price, stock);
    auto r = s.checkout(token, sku, items(id, quantity));
    if (r.status != 201) throw std::runtime_error("checkout failed: " + r.body);
    return r.header("Location");
}

// Moves back the created_at of the row holding `key` in `table` (payments, or refunds).
inline void age_key(const std::filesystem::path& payments_db, const std::string& key, int seconds,
                    const std::string& table = "payments") {
    sql_exec(payments_db, "UPDATE " + table + " SET created_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now', '-" +
                              std::to_string(seconds) + " seconds') WHERE idempotency_key = '" + key + "';");
}

}  // namespace berth::test::keyed_shop
