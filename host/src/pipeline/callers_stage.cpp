#include "http/problem.hpp"
#include "pipeline/route_contract.hpp"
#include "pipeline/stages.hpp"

namespace berth::host::pipeline {

verdict check_callers(exchange& ex) {
    const route_contract& c = *ex.route;
    if (c.callers.empty() || contains(c.callers, ex.context.caller)) return std::nullopt;
    std::string list;
    for (auto& m : c.callers) list += (list.empty() ? "" : ", ") + m;
    return http::problem(403, c.method + " " + c.path + " may only be called by the module(s): " + list);
}

}  // namespace berth::host::pipeline
