#include "http/problem.hpp"
#include "pipeline/route_contract.hpp"
#include "pipeline/stages.hpp"

namespace berth::host::pipeline {

verdict find_route(exchange& ex, const route_set& routes) {
    const auto& req = ex.request;
    // HEAD is GET without the body (the edge drops it).
    auto method = req.method == "HEAD" ? std::string_view("GET") : std::string_view(req.method);
    ex.match = routes.table.find(method, ex.target.segments);
    switch (ex.match.result) {
        case http::route_table::outcome::found:
            ex.route = &routes.routes[ex.match.id];
            return std::nullopt;
        case http::route_table::outcome::not_found:
            return http::problem(404, "no route matches " + req.method + " " + ex.target.path);
        case http::route_table::outcome::method_not_allowed: break;
    }
    const auto allow = http::join(ex.match.allowed);
    auto r = http::problem(405, req.method + " is not allowed on " + ex.target.path + "; allowed: " + allow);
    r.set_header("Allow", allow);
    return r;
}

}  // namespace berth::host::pipeline
