// The isolation channel's framing (docs/architecture.md "Process isolation"): one message is a
// 4-byte big-endian length and that many bytes of MessagePack (nlohmann::json::to_msgpack).
// Both ends use these two calls on a blocking stream socket; the other end is never trusted:
// every length is bounded before anything is allocated.
#pragma once

#include <nlohmann/json.hpp>

#include <cstddef>
#include <optional>
#include <stdexcept>

namespace berth::host::isolate {

// The largest frame either end sends or accepts: a request or response body (bounded by the
// module's body limit, at most 64 MiB) plus its headers and fields.
inline constexpr std::size_t max_frame_bytes = 80u << 20;

// What one frame may hold once parsed: values (map keys count) and nesting. The channel's
// messages are a map of scalars and arrays of [name, value] pairs: three levels, and a value
// per header, query parameter and path parameter.
inline constexpr std::size_t max_frame_values = 65'536;
inline constexpr std::size_t max_frame_depth = 8;

struct channel_error : std::runtime_error {
    using std::runtime_error::runtime_error;
};

// Writes one whole frame. Not thread-safe: callers that share a socket hold a write lock.
// Throws channel_error on an I/O error (EPIPE: the other end is gone) or an oversized message.
void write_frame(int fd, const nlohmann::json& message);

// Reads one whole frame; nullopt on a clean end of stream before a frame begins. Throws
// channel_error on an I/O error, a length over max_frame_bytes, a stream cut inside a frame, or
// bytes that are not MessagePack, or more values or levels than the limits above. EINTR is retried.
std::optional<nlohmann::json> read_frame(int fd);

}  // namespace berth::host::isolate
