// The payment module's contract as data: the checkout's request schema and the shapes of its
// answers, declared once as components. Request objects are closed (a misspelt field is refused);
// answers are open (a new field is an additive change for clients).
#pragma once

#include <nlohmann/json.hpp>

namespace payment_detail::schemas {

inline nlohmann::json checkout_request() {
    const nlohmann::json item = {{"type", "object"},
                                 {"additionalProperties", false},
                                 {"required", {"product_id", "quantity"}},
                                 {"properties",
                                  {{"product_id", {{"type", "integer"}, {"minimum", 1}}},
                                   {"quantity", {{"type", "integer"}, {"minimum", 1}, {"maximum", 1000}}}}}};
    const nlohmann::json card = {{"type", "object"},
                                 {"additionalProperties", false},
                                 {"required", {"number", "exp_month", "exp_year", "cvc"}},
                                 {"properties",
                                  {{"number", {{"type", "string"}, {"pattern", "^[0-9]{12,19}$"}}},
                                   {"exp_month", {{"type", "integer"}, {"minimum", 1}, {"maximum", 12}}},
                                   {"exp_year", {{"type", "integer"}, {"minimum", 2000}, {"maximum", 2100}}},
                                   {"cvc", {{"type", "string"}, {"pattern", "^[0-9]{3,4}$"}}}}}};
    return {{"type", "object"},
            {"additionalProperties", false},
            {"required", {"items", "card"}},
            {"properties", {{"items", {{"type", "array"}, {"minItems", 1}, {"maxItems", 50}, {"items", item}}}, {"card", card}}}};
}

inline nlohmann::json payment_id() { return {{"type", "string"}, {"pattern", "^pay_[0-9a-f]{24}$"}}; }

// One line of a payment, at the price it was charged.
inline nlohmann::json payment_item() {
    return {{"type", "object"},
            {"required", {"product_id", "quantity", "unit_price_cents"}},
            {"properties",
             {{"product_id", {{"type", "integer"}, {"minimum", 1}}},
              {"quantity", {{"type", "integer"}, {"minimum", 1}}},
              {"unit_price_cents", {{"type", "integer"}, {"minimum", 0}}}}}};
}

// A payment with `statuses` as its possible status; `created_at` is required when `dated`.
inline nlohmann::json payment(const nlohmann::json& statuses, bool dated) {
    nlohmann::json s = {{"type", "object"},
                        {"required", {"payment_id", "status", "amount_cents", "currency", "items", "card_last4"}},
                        {"properties",
                         {{"payment_id", payment_id()},
                          {"status", {{"type", "string"}, {"enum", statuses}}},
                          {"amount_cents", {{"type", "integer"}, {"minimum", 0}}},
                          {"currency", {{"type", "string"}, {"pattern", "^[A-Z]{3}$"}}},
                          {"items", {{"type", "array"}, {"items", {{"$ref", "#/components/schemas/PaymentItem"}}}}},
                          {"card_last4", {{"type", "string"}, {"pattern", "^[0-9]{4}$"}}}}}};
    if (dated) {
        s["properties"]["created_at"] = {{"type", "string"}, {"format", "date-time"}};
        s["required"].push_back("created_at");
    }
    return s;
}

// The checkout's 201: the payment as captured (a replay of the key gives the same body).
inline nlohmann::json receipt() { return payment(nlohmann::json::array({"captured"}), false); }
// GET /v1/payments/{id}: any payment the caller made, with when.
inline nlohmann::json payment_record() { return payment(nlohmann::json::array({"captured", "declined", "refunded"}), true); }

inline nlohmann::json refund() {
    return {{"type", "object"},
            {"required", {"payment_id", "status"}},
            {"properties", {{"payment_id", payment_id()}, {"status", {{"type", "string"}, {"enum", nlohmann::json::array({"refunded"})}}}}}};
}

}  // namespace payment_detail::schemas
