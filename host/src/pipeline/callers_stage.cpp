#include "http/problem.hpp"
#include "pipeline/route_contract.hpp"
#include "pipeline/stages.hpp"

#include <algorithm>

namespace berth::host::pipeline {

verdict check_callers(exchange& ex) {
    const route_contract& c = *ex.route;
    if (c.callers.empty() || std::ranges::find(c.callers, ex.context.caller) != c.callers.end()) return std::nullopt;
    return http::problem(403, c.method + " " + c.path + " may only be called by the module(s): " + http::join(c.callers));
}

}  // namespace berth::host::pipeline
