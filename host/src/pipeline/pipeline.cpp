#include "pipeline/pipeline.hpp"

#include "http/problem.hpp"
#include "pipeline/route_contract.hpp"
#include "pipeline/stages.hpp"

namespace berth::host::pipeline {

namespace {

// The stages that need only the request head.
verdict admit(const endpoint& to, exchange& ex) {
    if (auto refusal = parse_target(ex)) return refusal;
    if (auto refusal = find_route(ex, to.routes)) return refusal;
    if (auto refusal = check_callers(ex)) return refusal;
    if (auto refusal = check_bearer(ex, to.tokens)) return refusal;
    return negotiate(ex);
}

http::response run(const endpoint& to, exchange& ex) {
    if (auto refusal = admit(to, ex)) return std::move(*refusal);
    // The query and the body are reported together: a client fixes both from one answer.
    check_query(ex);
    if (auto refusal = check_body(ex)) return std::move(*refusal);
    if (!ex.violations.empty())
        return http::problem(400, "the request does not match the contract of " + ex.route->method + " " + ex.route->path,
                             nlohmann::json{{"errors", std::move(ex.violations)}});
    auto r = call_handler(ex, to.plugin);
    if (to.check_responses && ex.from_handler) check_response(ex, r);
    return r;
}

}  // namespace

verdict check_head(const endpoint& to, const http::request& head, const abi::request_context& ctx,
                   const route_contract** matched) {
    exchange ex{head, ctx, to.module};
    auto refusal = admit(to, ex);
    if (matched) *matched = ex.route;
    if (refusal && ex.route) finish_response(ex, to.routes, *refusal);
    return refusal;
}

http::response serve(const endpoint& to, const http::request& request, const abi::request_context& ctx,
                     const route_contract** matched) {
    exchange ex{request, ctx, to.module};
    auto r = run(to, ex);
    if (matched) *matched = ex.route;
    if (ex.route) finish_response(ex, to.routes, r);
    return r;
}

}  // namespace berth::host::pipeline
