// The stages of the request pipeline, in the order pipeline.cpp runs them. One file each.
#pragma once

#include "abi/abi_bridge.hpp"
#include "pipeline/exchange.hpp"

namespace berth::host::auth {
class token_service;
}

namespace berth::host::pipeline {

struct route_set;

// target_stage.cpp: the request target parsed into path segments and query (400).
verdict parse_target(exchange& ex);

// route_stage.cpp: the route the method and path match (404, 405 with Allow). HEAD is GET.
verdict find_route(exchange& ex, const route_set& routes);

// callers_stage.cpp: a route that names its callers takes in-process calls from them only (403).
verdict check_callers(exchange& ex);

// bearer_stage.cpp: a route that needs a token gets a valid one with every scope it names
// (401 with a challenge, 403 insufficient_scope). auth/ only verifies the token.
verdict check_bearer(exchange& ex, const auth::token_service* tokens);

// media_stage.cpp: the client accepts JSON or MessagePack answers (406 otherwise).
verdict negotiate(exchange& ex);

// query_stage.cpp: query values typed as the route's query schema declares, then checked
// against it. Adds to ex.violations; the pipeline answers once the body is checked too.
void check_query(exchange& ex);

// body_stage.cpp: a JSON or MessagePack body parsed and checked against the route's schema (415
// for another media type; adds to ex.violations). A route with no schema takes no body (400).
verdict check_body(exchange& ex);

// handler_stage.cpp: the exchange marshalled into a berth_request, the plugin's handler
// called through the ABI, and its response checked (500 if it failed or is not HTTP).
// Sets ex.from_handler when the answer is the handler's own (not the host's 500 for a failure).
http::response call_handler(exchange& ex, const abi::plugin_instance& plugin);

// response_stage.cpp: with contracts.check_responses, the handler's answer checked against the
// responses the route declared, or, for a status it did not declare, against the problems the
// host may answer there too (contract/host_answers.hpp). A 500 in its place, and a log line
// naming route, status and pointer, when it does not match.
void check_response(const exchange& ex, http::response& r);

// response_stage.cpp: what every answer on a matched route gets: MessagePack when the client
// prefers it (JSON bodies only; problems stay application/problem+json), Vary: Accept, and
// Deprecation/Sunset/Link on a deprecated major.
void finish_response(const exchange& ex, const route_set& routes, http::response& r);

}  // namespace berth::host::pipeline
