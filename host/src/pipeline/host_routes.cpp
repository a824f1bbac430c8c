#include "pipeline/host_routes.hpp"

#include "http/problem.hpp"

#include <string>

namespace berth::host::pipeline {

namespace {
constexpr std::string_view health_path = "/healthz";
constexpr std::string_view allowed = "GET, HEAD";
}  // namespace

host_route host_route_of(std::string_view target) {
    return target.substr(0, target.find('?')) == health_path ? host_route::health : host_route::none;
}

std::optional<http::response> refuse_method(host_route route, std::string_view method) {
    if (route == host_route::none || method == "GET" || method == "HEAD") return std::nullopt;
    auto r = http::problem(405, std::string(method) + " is not allowed on " + std::string(health_path) +
                                    "; allowed: " + std::string(allowed));
    r.set_header("Allow", std::string(allowed));
    return r;
}

bool is_reserved_path(std::string_view path_template) { return path_template == health_path; }

}  // namespace berth::host::pipeline
