// The products module's contract as data: request schemas and the shapes of its answers.
// Request objects are closed (a misspelt field is refused rather than ignored); answers are
// open (a new field is an additive change for clients).
#pragma once

#include <berth/plugin.hpp>

#include "iso4217.hpp"

#include <nlohmann/json.hpp>

#include <string>
#include <vector>

namespace products_detail::schemas {

inline nlohmann::json id() { return {{"type", "integer"}, {"minimum", 1}}; }
// A current ISO 4217 code (generated from Debian iso-codes by plugins/shared).
inline nlohmann::json currency() { return berth::shop::iso4217_schema(); }
// A currency in an answer: products made before the ISO check may carry any three capitals.
inline nlohmann::json stored_currency() { return {{"type", "string"}, {"pattern", "^[A-Z]{3}$"}}; }
// A name as typed: at most 200 characters, not blank (the handler trims it).
inline nlohmann::json name() { return {{"type", "string"}, {"minLength", 1}, {"maxLength", 200}, {"pattern", "\\S"}}; }
inline nlohmann::json page_cursor() {
    return {{"type", "string"}, {"minLength", 1}, {"maxLength", 2048}, {"pattern", "^[A-Za-z0-9_-]+$"}};
}
inline nlohmann::json limit() { return {{"type", "integer"}, {"minimum", 1}, {"maximum", 100}}; }
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
                      {"name", name()},
                      {"price_cents", price()},
                      {"currency", currency()},
                      {"category_id", id()}},
                     {"sku", "name", "price_cents", "currency", "category_id"});
}

inline nlohmann::json list_query() {
    return object_of({{"category_id", id()},
                      {"subcategories", {{"type", "boolean"}}},
                      {"status", {{"type", "string"}, {"enum", {"active", "discontinued", "all"}}}},
                      {"sort", {{"type", "string"}, {"enum", {"newest", "price", "name"}}}},
                      {"q", {{"type", "string"}, {"minLength", 1}, {"maxLength", 100}}},
                      {"limit", limit()},
                      // As the first build declared it, less its digits-only pattern (a request may only
                      // widen on a swap); its form and size are the handler's to check (400 Bad cursor).
                      {"cursor", {{"type", "string"}}}},
                     {});
}

inline nlohmann::json page_query() { return object_of({{"limit", limit()}, {"cursor", page_cursor()}}, {}); }

inline nlohmann::json reservation_query() {
    return object_of({{"state", {{"type", "string"}, {"enum", {"held", "committed", "released"}}}},
                      {"limit", limit()},
                      {"cursor", page_cursor()}},
                     {});
}

inline nlohmann::json adjustment_request() {
    return object_of({{"delta", {{"type", "integer"}, {"minimum", -1000000}, {"maximum", 1000000}, {"not", {{"const", 0}}}}},
                      {"reason", {{"type", "string"}, {"minLength", 1}, {"maxLength", 200}, {"pattern", "\\S"}}}},
                     {"delta", "reason"});
}

inline nlohmann::json quantities(long long most) {
    const nlohmann::json item = object_of({{"product_id", id()}, {"quantity", {{"type", "integer"}, {"minimum", 1}, {"maximum", most}}}},
                                          {"product_id", "quantity"});
    return {{"type", "array"}, {"minItems", 1}, {"maxItems", 50}, {"items", item}};
}

inline nlohmann::json stock_return_request() {
    return object_of({{"reference", {{"type", "string"}, {"minLength", 1}, {"maxLength", 100}, {"pattern", "^[A-Za-z0-9._:-]+$"}}},
                      {"items", quantities(1000000)}},
                     {"reference", "items"});
}

inline nlohmann::json reservation_request() { return object_of({{"items", quantities(1000)}}, {"items"}); }

// The components Product and ProductPage, referred to with berth::ref(name).
inline nlohmann::json product() {
    return answer({{"id", id()},
                   {"sku", {{"type", "string"}}},
                   {"name", {{"type", "string"}}},
                   {"price_cents", {{"type", "integer"}, {"minimum", 0}}},
                   {"currency", stored_currency()},
                   {"category_id", id()},
                   {"stock", {{"type", "integer"}, {"minimum", 0}}},
                   {"status", {{"type", "string"}, {"enum", {"active", "discontinued"}}}}},
                  {"id", "sku", "name", "price_cents", "currency", "category_id", "stock", "status"});
}

inline nlohmann::json product_page() {
    return answer({{"items", {{"type", "array"}, {"items", berth::ref("Product")}}},
                   {"next_cursor", {{"type", {"string", "null"}}, {"pattern", "^[A-Za-z0-9_-]+$"}}}},
                  {"items", "next_cursor"});
}

inline nlohmann::json page_of(nlohmann::json item) {
    return answer({{"items", {{"type", "array"}, {"items", std::move(item)}}},
                   {"next_cursor", {{"type", {"string", "null"}}, {"pattern", "^[A-Za-z0-9_-]+$"}}}},
                  {"items", "next_cursor"});
}

// The component ReservationPage: reservations for operators, newest first.
inline nlohmann::json reservation_page() {
    const nlohmann::json line = answer({{"product_id", id()}, {"quantity", {{"type", "integer"}, {"minimum", 1}}}},
                                       {"product_id", "quantity"});
    return page_of(answer({{"reservation_id", {{"type", "string"}}},
                           {"state", {{"type", "string"}, {"enum", {"held", "committed", "released"}}}},
                           {"created_at", {{"type", "string"}}},
                           {"items", {{"type", "array"}, {"items", line}}}},
                          {"reservation_id", "state", "created_at", "items"}));
}

// The component StockAdjustmentPage: one product's stock changes other than sales, newest first.
inline nlohmann::json stock_adjustment_page() {
    return page_of(answer({{"adjustment_id", id()},
                           {"delta", {{"type", "integer"}}},
                           {"reason", {{"type", "string"}}},
                           {"subject", {{"type", "string"}}},
                           {"created_at", {{"type", "string"}}}},
                          {"adjustment_id", "delta", "reason", "subject", "created_at"}));
}

// POST /v1/stock-returns' answer (201 the first time, 200 with the same text after).
inline nlohmann::json stock_return() {
    const nlohmann::json line = answer({{"product_id", id()}, {"quantity", {{"type", "integer"}, {"minimum", 1}}}},
                                       {"product_id", "quantity"});
    return answer({{"reference", {{"type", "string"}}}, {"items", {{"type", "array"}, {"items", line}}}},
                  {"reference", "items"});
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
                                        {"currency", stored_currency()}},
                                       {"product_id", "quantity", "unit_price_cents", "currency"});
    return answer({{"reservation_id", reservation_id()},
                   {"state", {{"type", "string"}, {"enum", nlohmann::json::array({"held"})}}},
                   {"items", {{"type", "array"}, {"minItems", 1}, {"items", item}}}},
                  {"reservation_id", "state", "items"});
}

}  // namespace products_detail::schemas
