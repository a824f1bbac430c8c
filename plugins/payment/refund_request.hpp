// The refund's body, optional (none: the whole remaining amount, no restock, as before it had
// one). The host cannot check an optional body against a schema, so the route takes
// application/json and this checks it as a closed-object schema would, with
// the same 400 answer: the pointer and message of every violation.
#pragma once

#include "text.hpp"

#include <berth/plugin.hpp>

#include <optional>
#include <string>

namespace payment_detail {

// A refusal with members beyond title and detail (a problem http_error cannot carry).
struct refused {
    berth::response answer;
};

struct refund_request {
    std::optional<long long> amount;  // cents; none: all that remains
    bool restock = false;
    std::optional<std::string> reason;  // trimmed (Unicode whitespace too), no control characters
};

inline constexpr long long max_refund_cents = 1'000'000'000'000'000;  // bounds the sums in SQLite
inline constexpr std::size_t max_reason_chars = 200;
inline constexpr std::size_t max_violations = 10;  // a body of a thousand unknown members gets ten back

// Code points of UTF-8 text (the parser has checked it is UTF-8).
inline std::size_t code_points(const std::string& s) {
    std::size_t n = 0;
    for (unsigned char c : s) n += (c & 0xC0) != 0x80;
    return n;
}

inline refund_request parse_refund(const berth::request& req) {
    refund_request out;
    if (req.body().find_first_not_of(" \t\r\n") == std::string_view::npos) return out;  // JSON's whitespace: no body
    const nlohmann::json& body = req.json();  // malformed or too deep: 400 from the SDK
    nlohmann::json errors = nlohmann::json::array();
    const auto violation = [&](std::string pointer, std::string message) {
        errors.push_back({{"in", "body"}, {"pointer", std::move(pointer)}, {"message", std::move(message)}});
    };
    // A JSON Pointer to a member (RFC 6901), cut short for a name no client means.
    const auto pointer_to = [](const std::string& name) {
        std::string out = "/";
        for (char c : name.substr(0, 64)) out += c == '~' ? std::string("~0") : c == '/' ? std::string("~1") : std::string(1, c);
        return out;
    };
    if (!body.is_object()) {
        violation("", "must be an object");
    } else {
        for (auto& [name, value] : body.items()) {
            if (errors.size() >= max_violations) break;
            const std::string at = pointer_to(name);
            if (name == "amount_cents") {
                if (!value.is_number_integer()) violation(at, "must be an integer");
                else if (value.get<long long>() < 1) violation(at, "must be at least 1");
                else if (value.get<long long>() > max_refund_cents) violation(at, "must be at most " + std::to_string(max_refund_cents));
                else out.amount = value.get<long long>();
            } else if (name == "restock") {
                if (!value.is_boolean()) violation(at, "must be a boolean");
                else out.restock = value.get<bool>();
            } else if (name == "reason") {
                if (!value.is_string()) {
                    violation(at, "must be a string");
                    continue;
                }
                try {
                    std::string text = berth::shop::text::clean(value.get<std::string>(), "/reason");
                    if (code_points(text) > max_reason_chars) violation(at, "must be at most 200 characters");
                    else out.reason = std::move(text);
                } catch (const berth::http_error& e) {  // blank or control characters: one more violation
                    for (auto& v : e.extra().value("errors", nlohmann::json::array())) errors.push_back(v);
                }
            } else {
                violation(at, "is not allowed");  // a closed object, like every request body
            }
        }
    }
    if (!errors.empty())
        throw refused{berth::response::problem(
            400, "Bad Request", "the request does not match the contract of POST /v1/payments/{id}/refund",
            {{"errors", std::move(errors)}})};
    return out;
}

}  // namespace payment_detail
