#include "pipeline/cors.hpp"

#include "http/problem.hpp"

#include <algorithm>
#include <array>

namespace berth::host::pipeline {

namespace {

constexpr std::size_t max_origin_length = 300;
constexpr std::size_t max_requested_headers = 64;
constexpr std::array allowed_methods{"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE"};
constexpr std::array allowed_headers{"Authorization", "Content-Type", "Accept", "Idempotency-Key", "X-Request-Id"};
constexpr std::string_view allow_methods_value = "GET, HEAD, POST, PUT, PATCH, DELETE";
constexpr std::string_view allow_headers_value = "Authorization, Content-Type, Accept, Idempotency-Key, X-Request-Id";
// What a script may read of an answer besides the CORS-safelisted headers.
constexpr std::string_view expose_headers_value = "X-Request-Id, Location, Retry-After, Deprecation, Sunset, Link";
// Browsers cap it lower (Chromium: 2 h); ten minutes lets a changed list take effect soon.
constexpr std::string_view max_age_value = "600";

bool is_lower_alnum(char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); }

// A DNS name or IPv4 address as browsers serialise it: lower-case labels, no empty one.
bool is_host_name(std::string_view h) {
    if (h.empty() || h.size() > 253) return false;
    while (true) {
        auto dot = h.find('.');
        auto label = h.substr(0, dot);
        if (label.empty() || label.size() > 63 || label.front() == '-' || label.back() == '-') return false;
        if (!std::all_of(label.begin(), label.end(), [](char c) { return is_lower_alnum(c) || c == '-'; })) return false;
        if (dot == std::string_view::npos) return true;
        h.remove_prefix(dot + 1);
    }
}

bool is_ipv6_literal(std::string_view h) {
    return h.size() > 2 && h.front() == '[' && h.back() == ']' &&
           std::all_of(h.begin() + 1, h.end() - 1,
                       [](char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || c == ':' || c == '.'; });
}

bool is_allowed_origin(const std::vector<std::string>& allowed, std::string_view origin) {
    return !origin.empty() && std::find(allowed.begin(), allowed.end(), origin) != allowed.end();
}

std::string_view trim(std::string_view s) {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
    return s;
}

http::response refuse(std::string_view detail) {
    auto r = http::problem(403, detail);
    r.set_header("Vary", "Origin");
    return r;
}

}  // namespace

std::optional<std::string> origin_error(std::string_view origin) {
    if (origin.size() > max_origin_length) return "an origin has at most " + std::to_string(max_origin_length) + " characters";
    std::string_view scheme;
    for (std::string_view s : {"http://", "https://"})
        if (origin.substr(0, s.size()) == s) scheme = s;
    if (scheme.empty()) return std::string("an origin starts with http:// or https:// (exact origins only, no wildcard)");
    auto rest = origin.substr(scheme.size());
    // The port follows the host's last ':' outside an IPv6 literal's brackets.
    auto colon = rest.rfind(':');
    if (colon != std::string_view::npos && rest.find(']', colon) != std::string_view::npos) colon = std::string_view::npos;
    auto host = rest.substr(0, colon);
    if (!is_host_name(host) && !is_ipv6_literal(host))
        return std::string("an origin is scheme://host[:port] with a lower-case host and nothing after it (no path, no trailing slash)");
    if (colon == std::string_view::npos) return std::nullopt;
    auto port = rest.substr(colon + 1);
    if (port.empty() || port.size() > 5 || port.front() == '0' ||
        !std::all_of(port.begin(), port.end(), [](char c) { return c >= '0' && c <= '9'; }) || std::stoul(std::string(port)) > 65535)
        return std::string("an origin's port is a number from 1 to 65535 without leading zeros");
    if ((scheme == "http://" && port == "80") || (scheme == "https://" && port == "443"))
        return std::string("leave the scheme's default port out: browsers never send it in an Origin");
    return std::nullopt;
}

bool is_preflight(const http::request& request) {
    return request.method == "OPTIONS" && !request.header("Origin").empty() &&
           !request.header("Access-Control-Request-Method").empty();
}

http::response preflight(const std::vector<std::string>& allowed_origins, const http::request& request) {
    const auto origin = request.header("Origin");
    if (!is_allowed_origin(allowed_origins, origin)) return refuse("this module does not allow calls from that origin");
    const auto method = request.header("Access-Control-Request-Method");
    if (std::none_of(allowed_methods.begin(), allowed_methods.end(), [&](std::string_view m) { return m == method; }))
        return refuse("cross-origin calls may use GET, HEAD, POST, PUT, PATCH or DELETE");
    // "authorization,content-type": each must be one the host lets a script send.
    std::string_view asked = request.header("Access-Control-Request-Headers");
    for (std::size_t n = 0; !trim(asked).empty(); ++n) {
        auto comma = asked.find(',');
        auto name = trim(asked.substr(0, comma));
        if (n == max_requested_headers ||
            (!name.empty() && std::none_of(allowed_headers.begin(), allowed_headers.end(),
                                           [&](std::string_view h) { return http::iequals(h, name); })))
            return refuse(std::string("cross-origin calls may send only these headers: ") + std::string(allow_headers_value));
        if (comma == std::string_view::npos) break;
        asked.remove_prefix(comma + 1);
    }
    http::response r;
    r.status = 204;
    r.set_header("Access-Control-Allow-Origin", std::string(origin));
    r.set_header("Access-Control-Allow-Methods", std::string(allow_methods_value));
    r.set_header("Access-Control-Allow-Headers", std::string(allow_headers_value));
    r.set_header("Access-Control-Max-Age", std::string(max_age_value));
    r.set_header("Vary", "Origin");
    return r;
}

void add_cors_headers(std::string_view allowed_origin, http::response& r) {
    // A cache must not hand an answer made for one origin to another (or to a same-origin page).
    auto vary = std::string(r.header("Vary"));
    if (vary.empty()) {
        r.set_header("Vary", "Origin");
    } else if (vary.find("Origin") == std::string::npos && vary != "*") {
        r.set_header("Vary", vary + ", Origin");
    }
    if (allowed_origin.empty()) return;
    r.set_header("Access-Control-Allow-Origin", std::string(allowed_origin));
    r.set_header("Access-Control-Expose-Headers", std::string(expose_headers_value));
}

std::function<void(http::response)> with_cors(const std::vector<std::string>& allowed_origins,
                                              const http::request& request, std::function<void(http::response)> done) {
    if (allowed_origins.empty()) return done;
    // Decided now: the answer may come after the module's config is gone.
    const auto origin = request.header("Origin");
    std::string allowed(is_allowed_origin(allowed_origins, origin) ? origin : std::string_view());
    return [allowed = std::move(allowed), done = std::move(done)](http::response r) {
        add_cors_headers(allowed, r);
        done(std::move(r));
    };
}

}  // namespace berth::host::pipeline
