#include "http/problem.hpp"
#include "pipeline/stages.hpp"

namespace berth::host::pipeline {

verdict parse_target(exchange& ex) {
    std::string why;
    auto target = http::parse_target(ex.request.target, &why);
    if (!target) return http::problem(400, why);
    ex.target = std::move(*target);
    return std::nullopt;
}

}  // namespace berth::host::pipeline
