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

// query_stage.cpp: query values typed as the route's query schema declares, then checked
// against it. Adds to ex.violations; the pipeline answers once the body is checked too.
void check_query(exchange& ex);

// body_stage.cpp: a JSON body parsed and checked against the route's schema (415 for another
// media type; adds to ex.violations), or, with no schema, refused only if nested too deep.
verdict check_body(exchange& ex);

// handler_stage.cpp: the exchange marshalled into a berth_request, the plugin's handler
// called through the ABI, and its response checked (500 if it failed or is not HTTP).
http::response call_handler(const exchange& ex, const abi::plugin_instance& plugin);

}  // namespace berth::host::pipeline
