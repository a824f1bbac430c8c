#include "contract/json_body.hpp"
#include "contract/json_schema.hpp"
#include "http/problem.hpp"
#include "pipeline/route_contract.hpp"
#include "pipeline/stages.hpp"

#include <berth/json_limits.hpp>

namespace berth::host::pipeline {

namespace {

void add(exchange& ex, std::string pointer, std::string message) {
    ex.violations.push_back({{"in", "body"}, {"pointer", std::move(pointer)}, {"message", std::move(message)}});
}

}  // namespace

verdict check_body(exchange& ex) {
    const auto& req = ex.request;
    const route_contract& c = *ex.route;
    auto content_type = req.header("Content-Type");
    if (!c.body) {
        // No schema: the plugin parses the body itself, maybe with an SDK older than its depth
        // limit. JSON nested past the limit would overflow whatever walks it, so it stops here.
        if (!req.body.empty() && (content_type.empty() || http::is_json_media_type(content_type)) &&
            berth::json_depth(req.body) > berth::max_json_depth)
            add(ex, "", "nested more than " + std::to_string(berth::max_json_depth) + " levels deep");
        return std::nullopt;
    }
    if (!content_type.empty() && !http::is_json_media_type(content_type))
        return http::problem(415, "this route takes application/json, not " + std::string(content_type));
    auto parsed = contract::parse_json_body(req.body);
    if (auto* bad = std::get_if<contract::body_error>(&parsed)) {
        add(ex, bad->pointer, bad->message);
        return std::nullopt;
    }
    for (auto& v : c.body->validate(std::get<nlohmann::json>(parsed))) add(ex, v.pointer, v.message);
    return std::nullopt;
}

}  // namespace berth::host::pipeline
