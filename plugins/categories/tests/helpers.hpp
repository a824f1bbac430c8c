// Helpers for the categories tests: the routes shop.hpp has no helper for.
#pragma once

#include "support/shop.hpp"

#include <optional>
#include <string>

namespace berth::test::categories_tests {

inline std::string path(long long id) { return "/v1/categories/" + std::to_string(id); }

// Creates a category (at the top without `parent`); returns its id.
inline long long create(shop& s, const std::string& name, std::optional<long long> parent = {}) {
    nlohmann::json body = {{"name", name}};
    if (parent) body["parent_id"] = *parent;
    auto r = s.post(s.categories(), "/v1/categories", body, s.admin_token());
    if (r.status != 201) throw std::runtime_error("create category failed: " + r.body);
    return r.json()["id"];
}

// POST /v1/categories/{id}/move; `parent` is an id or null.
inline reply move(shop& s, long long id, const nlohmann::json& parent, const std::string& token) {
    return s.post(s.categories(), path(id) + "/move", {{"parent_id", parent}}, token);
}

inline reply remove(std::uint16_t port, long long id, const std::string& token) {
    header_list h;
    if (!token.empty()) h.emplace_back("Authorization", "Bearer " + token);
    return http_request(port, "DELETE", path(id), {}, h);
}

inline nlohmann::json subtree_ids(shop& s, long long id) {
    auto r = s.get(s.categories(), path(id) + "/subtree");
    if (r.status != 200) throw std::runtime_error("subtree failed: " + r.body);
    return r.json()["ids"];
}

}  // namespace berth::test::categories_tests
