// What the idempotency suites share: a checkout's items, and ageing a key by moving its row's
// created_at back (keys expire after idempotency_ttl_s; no test sleeps for that).
#pragma once

#include "support/shop.hpp"

#include <filesystem>
#include <string>

namespace berth::test::keyed_shop {

inline nlohmann::json items(long long product, long long quantity) {
    return nlohmann::json::array({{{"product_id", product}, {"quantity", quantity}}});
}

inline void age_key(const std::filesystem::path& payments_db, const std::string& key, int seconds) {
    sql_exec(payments_db, "UPDATE payments SET created_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now', '-" +
                              std::to_string(seconds) + " seconds') WHERE idempotency_key = '" + key + "';");
}

}  // namespace berth::test::keyed_shop
