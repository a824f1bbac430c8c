// The host side of the C ABI (sdk/include/berth/abi.h): byte ranges, the sinks plugins write
// results into, and the table of host services a generation hands its plugin.
#pragma once

#include <berth/abi.h>

#include "http/message.hpp"
#include "abi/host_services.hpp"

#include <string>
#include <string_view>

namespace berth::host::abi {

inline berth_bytes bytes(std::string_view s) { return {s.data(), s.size()}; }
inline std::string_view view(berth_bytes b) { return b.data ? std::string_view(b.data, b.size) : std::string_view(); }
void write_text(const berth_writer* w, std::string_view text);

// Collects text the plugin writes through a berth_writer. Not movable: the writer points at it.
struct text_sink {
    std::string text;
    berth_writer writer{sizeof(berth_writer), this, &text_sink::append};
    text_sink() = default;
    text_sink(const text_sink&) = delete;
    static void append(void* ctx, berth_bytes b);
};

// Collects a response the plugin writes through a berth_response_writer. Not movable either.
// A header that could not be sent as written (a name that is not an RFC 9110 token, a value
// with CR, LF or NUL: a split response) is dropped and named in `bad_header`.
struct response_sink {
    http::response response;
    std::string bad_header;
    berth_response_writer writer{sizeof(berth_response_writer), this, &response_sink::set_status,
                                 &response_sink::add_header, &response_sink::append_body};
    response_sink() = default;
    response_sink(const response_sink&) = delete;
    static void set_status(void* ctx, int status);
    static void add_header(void* ctx, berth_bytes name, berth_bytes value);
    static void append_body(void* ctx, berth_bytes chunk);
};

// What the host services need to know of the generation that calls them. Must outlive the
// plugin instance (the generation owns it).
struct host_context {
    std::string module;
    const host_services* services = nullptr;
};

// A started plugin instance and the descriptor whose entry points serve it.
struct plugin_instance {
    const berth_plugin_descriptor* descriptor = nullptr;
    void* instance = nullptr;
};

// The berth_host_api table for a plugin instance: log, issue_token, call (ABI 1.1),
// report_lease_wait (ABI 1.2).
berth_host_api host_api(const host_context* ctx);

}  // namespace berth::host::abi
