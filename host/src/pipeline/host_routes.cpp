#include "pipeline/host_routes.hpp"

#include "http/problem.hpp"

#include <string>

namespace berth::host::pipeline {

namespace {
constexpr std::string_view health_path = "/healthz";
constexpr std::string_view openapi_path = "/openapi.json";
constexpr std::string_view allowed = "GET, HEAD";

std::string_view path_of(host_route route) { return route == host_route::openapi ? openapi_path : health_path; }
}  // namespace

host_route host_route_of(std::string_view target) {
    const auto path = target.substr(0, target.find('?'));
    if (path == health_path) return host_route::health;
    if (path == openapi_path) return host_route::openapi;
    return host_route::none;
}

std::optional<http::response> refuse_method(host_route route, std::string_view method) {
    if (route == host_route::none || method == "GET" || method == "HEAD") return std::nullopt;
    auto r = http::problem(405, std::string(method) + " is not allowed on " + std::string(path_of(route)) +
                                    "; allowed: " + std::string(allowed));
    r.set_header("Allow", std::string(allowed));
    return r;
}

bool is_reserved_path(std::string_view path_template) {
    return path_template == health_path || path_template == openapi_path;
}

http::response openapi_response(const std::string& document_text) {
    http::response r;
    r.status = 200;
    r.body = document_text;
    // Plain JSON: what Swagger UI, curl | jq and code generators all take.
    r.set_header("Content-Type", "application/json");
    // The document changes with the generation: a client revalidates instead of trusting a copy.
    r.set_header("Cache-Control", "no-cache");
    return r;
}

}  // namespace berth::host::pipeline
