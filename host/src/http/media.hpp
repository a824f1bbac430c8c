// The two media types a module's routes speak, JSON and MessagePack: what a Content-Type
// names, and which one an Accept header prefers (RFC 9110 12.5.1, q-values).
#pragma once

#include <optional>
#include <string_view>

namespace berth::host::http {

enum class body_format { json, msgpack };

inline constexpr std::string_view msgpack_media_type = "application/msgpack";

// The media type of a Content-Type value: parameters and surrounding whitespace dropped.
std::string_view media_type_of(std::string_view content_type);

// application/msgpack (also the older application/x-msgpack and application/vnd.msgpack),
// parameters allowed.
bool is_msgpack_media_type(std::string_view content_type);

// The format to answer in: the acceptable one with the highest q (JSON on a tie, or when the
// header is absent or empty); nullopt when the client accepts neither (406).
std::optional<body_format> preferred_format(std::string_view accept);

}  // namespace berth::host::http
