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

// The refund's body (optional: none refunds all that remains). The reason is also trimmed and
// refused blank or holding control characters (refund_request.hpp: what a schema cannot say).
inline nlohmann::json refund_request() {
    return {{"type", "object"},
            {"additionalProperties", false},
            {"properties",
             {{"amount_cents",
               {{"type", "integer"}, {"minimum", 1}, {"maximum", 1'000'000'000'000'000},
                {"description", "Cents to refund, at most what remains; none: all that remains"}}},
              {"restock",
               {{"type", "boolean"}, {"description", "Put the items back in stock (once); needs payments:read"}}},
              {"reason",
               {{"type", "string"}, {"minLength", 1}, {"maxLength", 200},
                {"description", "Trimmed of whitespace; refused blank or holding control characters"}}}}}};
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

// One refund of a payment.
inline nlohmann::json refund() {
    return {{"type", "object"},
            {"required", {"refund_id", "amount_cents", "restocked", "reason", "created_at"}},
            {"properties",
             {{"refund_id", {{"type", "string"}, {"pattern", "^ref_[0-9a-f]{24}$"}}},
              {"amount_cents", {{"type", "integer"}, {"minimum", 1}}},
              {"restocked", {{"type", "boolean"}}},
              {"reason", {{"type", {"string", "null"}}}},
              {"created_at", {{"type", "string"}, {"format", "date-time"}}}}}};
}

// GET /v1/payments/{id}, a refund's answer, a list's item: any payment, with when, whose, and
// what was refunded (status stays captured while partially refunded).
inline nlohmann::json payment_record() {
    auto s = payment(nlohmann::json::array({"captured", "declined", "refunded"}), true);
    s["properties"]["user_id"] = {{"type", "string"}};
    s["properties"]["refunded_cents"] = {{"type", "integer"}, {"minimum", 0}};
    s["properties"]["restocked"] = {{"type", "boolean"}};
    s["properties"]["refunds"] = {{"type", "array"}, {"items", refund()}};
    for (auto name : {"user_id", "refunded_cents", "restocked", "refunds"}) s["required"].push_back(name);
    return s;
}

inline nlohmann::json payment_page() {
    return {{"type", "object"},
            {"required", {"items", "next_cursor"}},
            {"properties",
             {{"items", {{"type", "array"}, {"items", {{"$ref", "#/components/schemas/Payment"}}}}},
              {"next_cursor", {{"type", {"string", "null"}}}}}}};
}

inline nlohmann::json list_query() {
    return {{"type", "object"},
            {"additionalProperties", false},
            {"properties",
             {{"status", {{"type", "string"}, {"enum", {"captured", "declined", "refunded"}}}},
              {"limit", {{"type", "integer"}, {"minimum", 1}, {"maximum", 100}}},
              {"cursor", {{"type", "string"}, {"minLength", 1}, {"maxLength", 200}, {"pattern", "^[A-Za-z0-9_-]+$"}}},
              {"user_id", {{"type", "string"}, {"minLength", 1}, {"maxLength", 255}}}}}};
}

}  // namespace payment_detail::schemas
