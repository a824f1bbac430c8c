// Prepares a JSON Schema for Valijson so that no document can make validation unbounded:
// `pattern` and `format` move to private keywords checked with RE2 and linear scanners, and
// maxLength/maxItems/maxProperties become a gate (if/then/else) in front of everything else,
// so an oversize value yields that one error and its contents are never looked at.
#pragma once

#include <nlohmann/json.hpp>

#include <memory>
#include <vector>

namespace re2 {
class RE2;
}

namespace berth::host::contract {

inline constexpr const char* pattern_keyword = "x-berth-pattern";  // value: index into `patterns`
inline constexpr const char* format_keyword = "x-berth-format";    // value: a known format name
inline constexpr const char* max_length_keyword = "x-berth-max-length";  // value: maxLength
inline constexpr const char* budget_keyword = "x-berth-budget";    // value: true

struct rewritten_schema {
    nlohmann::json schema;
    std::vector<std::shared_ptr<const re2::RE2>> patterns;  // compiled once, shared by every request
};

// Throws std::invalid_argument naming what cannot be used: a pattern RE2 cannot compile,
// patternProperties, uniqueItems without a small maxItems.
rewritten_schema rewrite_schema(const nlohmann::json& schema);

}  // namespace berth::host::contract
