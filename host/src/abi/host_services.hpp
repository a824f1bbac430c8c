// What the host offers every generation through berth_host_api beyond logging: token
// signing and sessions that end (through `tokens`, ABI 1.3), in-process calls into other modules
// and database lease reports. Owned by the runtime.
#pragma once

#include "http/message.hpp"

#include <chrono>
#include <functional>
#include <string>
#include <string_view>

namespace berth::host::auth {
class token_service;
}

namespace berth::host::ops {
class telemetry;
}

namespace berth::host::abi {

// Who is behind a dispatch, beyond the HTTP request itself.
struct request_context {
    std::string request_id;
    std::string caller;  // calling module for in-process calls; empty from HTTP
};

struct host_services {
    const auth::token_service* tokens = nullptr;  // null: this host issues and accepts no tokens
    // Dispatches `request` to module `callee`'s active generation on the calling thread.
    std::function<http::response(const std::string& callee, const http::request& request, const request_context& ctx)>
        call;
    // The access and event streams (ops/telemetry.hpp); null in tests that build a module alone.
    ops::telemetry* telemetry = nullptr;
    // A module's database lease waited `waited` and got a session (granted) or timed out (ABI 1.2).
    // Any thread, on the request's path: cheap, and must not throw. Empty: reports are dropped.
    std::function<void(std::string_view module, std::chrono::nanoseconds waited, bool granted)> lease_wait;
};

}  // namespace berth::host::abi
