// The products module's contract as data: request schemas and the shapes of its answers.
// Request objects are closed (a misspelt field is refused rather than ignored); answers are
// open (a new field is an additive change for clients).
#pragma once

#include <berth/plugin.hpp>

#include <nlohmann/json.hpp>

#include <string>
#include <vector>

namespace products_detail::schemas {

inline nlohmann::json id() { return {{"type", "integer"}, {"minimum", 1}}; }
inline nlohmann::json currency() { return {{"type", "string"}, {"pattern", "^[A-Z]{3}$"}}; }
inline nlohmann::json price() { return {{"type", "integer"}, {"minimum", 0}, {"maximum", 100000000000LL}}; }
inline nlohmann::json reservation_id() { return {{"type", "string"}, {"pattern", "^[0-9a-f]{24}$"}}; }

// A request body.
inline nlohmann::json object_of(nlohmann::json properties, std::vector<std::string> required) {
    return {{"type", "object"}, {"additionalProperties", false}, {"required", required}, {"properties", properties}};
}
// An answer.
inline nlohmann::json answer(nlohmann::json properties, std::vector<std::string> required) {
    return {{"type", "object"}, {"required", required}, {"properties", properties}};
}

inline nlohmann::json new_product() {
    return object_of({{"sku", {{"type", "string"}, {"minLength", 1}, {"maxLength", 64}, {"pattern", "^[A-Za-z0-9._-]+$"}}},
                      {"name", {{"type", "string"}, {"minLength", 1}, {"maxLength", 200}}},
                      {"price_cents", price()},
                      {"currency", currency()},
                      {"category_id", id()}},
                     {"sku", "name", "price_cents", "currency", "category_id"});
}

inline nlohmann::json list_query() {
    return object_of({{"category_id", id()},
                      {"q", {{"type", "string"}, {"minLength", 1}, {"maxLength", 100}}},
                      {"limit", {{"type", "integer"}, {"minimum", 1}, {"maximum", 100}}},
                      {"cursor", {{"type", "string"}, {"pattern", "^[0-9]{1,18}$"}}}},
                     {});
}

inline nlohmann::json reservation_request() {
    const nlohmann::json item = object_of({{"product_id", id()}, {"quantity", {{"type", "integer"}, {"minimum", 1}, {"maximum", 1000}}}},
                                          {"product_id", "quantity"});
    return object_of({{"items", {{"type", "array"}, {"minItems", 1}, {"maxItems", 50}, {"items", item}}}}, {"items"});
}

// The components Product and ProductPage, referred to with berth::ref(name).
inline nlohmann::json product() {
    return answer({{"id", id()},
                   {"sku", {{"type", "string"}}},
                   {"name", {{"type", "string"}}},
                   {"price_cents", {{"type", "integer"}, {"minimum", 0}}},
                   {"currency", currency()},
                   {"category_id", id()},
                   {"stock", {{"type", "integer"}, {"minimum", 0}}},
                   {"status", {{"type", "string"}, {"enum", {"active", "discontinued"}}}}},
                  {"id", "sku", "name", "price_cents", "currency", "category_id", "stock", "status"});
}

inline nlohmann::json product_page() {
    return answer({{"items", {{"type", "array"}, {"items", berth::ref("Product")}}},
                   {"next_cursor", {{"type", {"string", "null"}}, {"pattern", "^[0-9]{1,18}$"}}}},
                  {"items", "next_cursor"});
}

// A reservation's state, as the reservation routes answer it.
inline nlohmann::json reservation_state() {
    return answer({{"reservation_id", reservation_id()}, {"state", {{"type", "string"}, {"enum", {"held", "committed", "released"}}}}},
                  {"reservation_id", "state"});
}

// POST /v1/reservations' 201: the hold, with each item's price and currency at this moment.
inline nlohmann::json reservation_held() {
    const nlohmann::json item = answer({{"product_id", id()},
                                        {"quantity", {{"type", "integer"}, {"minimum", 1}}},
                                        {"unit_price_cents", {{"type", "integer"}, {"minimum", 0}}},
                                        {"currency", currency()}},
                                       {"product_id", "quantity", "unit_price_cents", "currency"});
    return answer({{"reservation_id", reservation_id()},
                   {"state", {{"type", "string"}, {"enum", nlohmann::json::array({"held"})}}},
                   {"items", {{"type", "array"}, {"minItems", 1}, {"items", item}}}},
                  {"reservation_id", "state", "items"});
}

}  // namespace products_detail::schemas
