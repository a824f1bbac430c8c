// The request pipeline: the one path every request to a module takes, over HTTP or as an
// in-process call from another module.
//
//   target -> route -> callers -> bearer and scopes -> media -> query -> body -> handler (ABI)
//   -> response (checked against its declaration, encoded as the client accepts)
//
// Each stage is a file of this folder (see stages.hpp); each answers with a problem or passes
// on. Host-answered routes (/healthz) never get here: see host_routes.hpp.
#pragma once

#include "abi/abi_bridge.hpp"
#include "pipeline/exchange.hpp"

#include <string_view>

namespace berth::host::auth {
class token_service;
}

namespace berth::host::pipeline {

struct route_set;

// What a generation offers the pipeline: its compiled routes, the plugin instance whose
// handler serves them, and the token verifier of its host.
struct endpoint {
    const route_set& routes;
    std::string_view module;
    const auth::token_service* tokens;
    abi::plugin_instance plugin;
    bool check_responses = false;  // config contracts.check_responses
};

// Every stage, then the plugin's handler. `matched`, when given, is set to the route the request
// matched (null if none): the request metrics and the access log name it by its template.
http::response serve(const endpoint& to, const http::request& request, const abi::request_context& ctx,
                     const route_contract** matched = nullptr);

// Before the body of an `Expect: 100-continue` request: the refusal the stages that need no
// body would give (target, route, callers, bearer, media), or nullopt to let the client send it.
verdict check_head(const endpoint& to, const http::request& head, const abi::request_context& ctx,
                   const route_contract** matched = nullptr);

}  // namespace berth::host::pipeline
