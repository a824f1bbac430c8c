// What the host offers every generation through berth_host_api beyond logging: token
// signing and in-process calls into other modules. Owned by the runtime.
#pragma once

#include "http/message.hpp"

#include <functional>
#include <string>

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
};

}  // namespace berth::host::abi
