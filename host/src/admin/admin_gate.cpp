// The admin API's door: the Host check, the open calls, the bearer token and the media type of
// a mutating call, all before any route is looked at.
#include "admin/admin_api.hpp"

#include "http/problem.hpp"
#include "http/target.hpp"
#include "pipeline/docs_ui.hpp"
#include "pipeline/host_routes.hpp"

#include <sodium.h>

#include <algorithm>

namespace berth::host::admin {

std::string admin_api::digest(std::string_view text) {
    std::string out(crypto_hash_sha256_BYTES, '\0');
    crypto_hash_sha256(reinterpret_cast<unsigned char*>(out.data()), reinterpret_cast<const unsigned char*>(text.data()),
                       text.size());
    return out;
}

bool admin_api::is_mutating(const http::request& r) { return r.method != "GET" && r.method != "HEAD"; }

std::optional<http::response> admin_api::gate(const http::request& request) const {
    // /healthz is open, as on every port; GET and HEAD only (the router answers 405 otherwise).
    if (pipeline::host_route_of(request.target) == pipeline::host_route::health &&
        (request.method == "GET" || request.method == "HEAD"))
        return std::nullopt;
    if (std::count_if(request.headers.begin(), request.headers.end(),
                      [](const auto& h) { return http::iequals(h.first, "Host"); }) > 1)
        return http::problem(400, "the request has more than one Host header");
    auto host = http::host_name(request.header("Host"));
    if (host.empty()) return http::problem(400, "the request needs a Host header");
    if (!http::iequals(host, "localhost") && host != "127.0.0.1" && host != "[::1]" &&
        std::none_of(settings_.allowed_hosts.begin(), settings_.allowed_hosts.end(),
                     [&](const std::string& h) { return http::iequals(h, host); }))
        return http::problem(421, "this admin API does not answer for that host; see admin.allowed_hosts");
    // /docs is open too, once the Host is one this API answers for (its page's links use it).
    if (pipeline::is_docs_target(request.target) && !is_mutating(request)) return std::nullopt;
    // The merged OpenAPI document describes only the public API: open, once the Host is known good.
    if (pipeline::host_route_of(request.target) == pipeline::host_route::openapi &&
        (request.method == "GET" || request.method == "HEAD"))
        return std::nullopt;
    // The dashboard's files and its code-for-token exchange are open (admin_dashboard.cpp).
    if (is_open_dashboard_call(request)) {
        if (is_mutating(request) && !http::is_json_media_type(request.header("Content-Type")))
            return http::problem(415, "POST /dashboard/session takes Content-Type: application/json");
        return std::nullopt;
    }
    auto auth = request.header("Authorization");
    const bool bearer = auth.size() > 7 && http::iequals(auth.substr(0, 7), "Bearer ");
    if (!bearer || sodium_memcmp(digest(auth.substr(7)).data(), token_digest_.data(), token_digest_.size()) != 0) {
        auto r = http::problem(401, "the admin API needs its bearer token (the file admin.token in the data directory)");
        r.set_header("WWW-Authenticate", "Bearer realm=\"berth-admin\"");
        return r;
    }
    if (is_mutating(request) && !http::is_json_media_type(request.header("Content-Type")))
        return http::problem(415, "admin calls that change anything take Content-Type: application/json");
    return std::nullopt;
}

std::optional<http::response> admin_api::check_head(const http::request& head) {
    auto refusal = gate(head);
    if (refusal && is_mutating(head) && audit_) audit_->record_refusal(head.peer, refusal->status);
    return refusal;
}

}  // namespace berth::host::admin
