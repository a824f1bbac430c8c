// Parsing a request body as JSON for the contract checks, with errors a client can act on:
// where (a JSON pointer, and the byte offset), and why, in our words (never the parser's text).
// Nesting is bounded, so nothing downstream (validation, dump) recurses without limit.
#pragma once

#include <berth/json_limits.hpp>

#include <nlohmann/json.hpp>

#include <cstddef>
#include <string>
#include <string_view>
#include <variant>

namespace berth::host::contract {

struct body_error {
    std::string pointer;  // where the parser stopped ("" for the document)
    std::string message;
};

inline constexpr std::size_t max_json_depth = berth::max_json_depth;  // one source with the SDK
// Values (scalars, arrays, objects) in one body: building a document of a million tiny arrays
// costs more than any contract check, so the parse stops there.
inline constexpr std::size_t max_json_values = 100'000;

std::variant<nlohmann::json, body_error> parse_json_body(std::string_view text, std::size_t max_depth = max_json_depth,
                                                         std::size_t max_values = max_json_values);

// The same for a MessagePack body (application/msgpack), with the same bounds; binary and
// extension values are refused, since the document must read the same as JSON.
std::variant<nlohmann::json, body_error> parse_msgpack_body(std::string_view bytes,
                                                            std::size_t max_depth = max_json_depth,
                                                            std::size_t max_values = max_json_values);

}  // namespace berth::host::contract
