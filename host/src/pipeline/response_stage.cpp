#include "contract/components.hpp"
#include "contract/host_answers.hpp"
#include "contract/json_body.hpp"
#include "contract/json_schema.hpp"
#include "http/media.hpp"
#include "http/problem.hpp"
#include "pipeline/route_contract.hpp"
#include "pipeline/stages.hpp"

#include <spdlog/spdlog.h>

namespace berth::host::pipeline {

namespace {

constexpr std::size_t max_logged_violations = 5;

std::string declared_statuses(const route_contract& c) {
    std::vector<std::string> s;
    for (auto& [status, _] : c.responses) s.push_back(std::to_string(status));
    return http::join(s);
}

bool host_may_answer(const route_contract& c, int status) {
    for (auto& a : contract::host_answers(c.body != nullptr, !c.takes.empty(), c.auth))
        if (a.status == status) return true;
    return false;
}

// The problem the host answers a status with that the route did not declare: what the
// published document lists for it.
const declared_response& host_problem() {
    static const declared_response problem{contract::json_schema::compile(contract::problem_schema()),
                                           "application/problem+json"};
    return problem;
}

// What is wrong with the answer, as (pointer, message); empty when it matches.
std::vector<contract::violation> mismatches(const route_contract& c, const http::response& r) {
    auto declared = c.responses.find(r.status);
    if (declared == c.responses.end() && !host_may_answer(c, r.status))
        return {{"", "status " + std::to_string(r.status) + " is not declared (declared: " + declared_statuses(c) + ")"}};
    const auto& d = declared == c.responses.end() ? host_problem() : declared->second;
    if (!d.schema) return {};
    auto media = http::media_type_of(r.header("Content-Type"));
    if (!http::iequals(media, d.media_type))
        return {{"", "the body is " + (media.empty() ? std::string("untyped") : std::string(media)) + ", declared " +
                         d.media_type}};
    auto parsed = contract::parse_json_body(r.body);
    if (auto* bad = std::get_if<contract::body_error>(&parsed)) return {{bad->pointer, bad->message}};
    return d.schema->validate(std::get<nlohmann::json>(parsed));
}

// A JSON body re-encoded as MessagePack; nullopt when it is not JSON after all.
std::optional<std::string> as_msgpack(const std::string& body) {
    auto parsed = contract::parse_json_body(body);
    if (!std::holds_alternative<nlohmann::json>(parsed)) return std::nullopt;
    std::vector<std::uint8_t> out;
    nlohmann::json::to_msgpack(std::get<nlohmann::json>(parsed), out);
    return std::string(out.begin(), out.end());
}

}  // namespace

void check_response(const exchange& ex, http::response& r) {
    const route_contract& c = *ex.route;
    if (c.responses.empty()) return;  // the route declared nothing to check against
    auto wrong = mismatches(c, r);
    if (wrong.empty()) return;
    for (std::size_t i = 0; i < wrong.size() && i < max_logged_violations; ++i)
        spdlog::error("[{}] {} {} answered {} against its declared responses (request {}): at '{}': {}", ex.module,
                      c.method, c.path, r.status, ex.context.request_id, wrong[i].pointer, wrong[i].message);
    r = http::problem(500, "the module's answer does not match its declared contract; see the host log for request " +
                               ex.context.request_id);
}

void finish_response(const exchange& ex, const route_set& routes, http::response& r) {
    if (ex.answer_in == http::body_format::msgpack && !r.body.empty() &&
        http::iequals(http::media_type_of(r.header("Content-Type")), "application/json")) {
        if (auto packed = as_msgpack(r.body)) {
            r.body = std::move(*packed);
            r.set_header("Content-Type", std::string(http::msgpack_media_type));
        }
    }
    r.headers.emplace_back("Vary", "Accept");
    if (!ex.route->deprecated) return;
    auto major = routes.majors.find(ex.route->major);
    if (major == routes.majors.end() || !major->second.deprecated) return;
    r.set_header("Deprecation", major->second.deprecation);
    r.set_header("Sunset", major->second.sunset);
    if (!major->second.link.empty()) r.headers.emplace_back("Link", "<" + major->second.link + ">; rel=\"deprecation\"");
}

}  // namespace berth::host::pipeline
