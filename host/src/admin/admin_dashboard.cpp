// The dashboard on the admin listener: GET / and GET /dashboard/<file> (the page, open: it holds
// no data, every figure it shows it reads with the admin token), and the one-time codes that
// carry the token to it without a URL that a log could keep: POST /dashboard/links (token)
// makes http://HOST/#code=..., and the page trades the code at POST /dashboard/session (open).
// The fragment is never sent by a browser, so the code reaches no server log or Referer.
#include "admin/admin_api.hpp"

#include "admin/dashboard_files.hpp"
#include "admin/dashboard_links.hpp"
#include "contract/json_body.hpp"
#include "http/problem.hpp"
#include "http/target.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>

namespace berth::host::admin {

namespace {

// Only the page's own files, and its calls to this origin; no inline script or style.
constexpr std::string_view content_security_policy =
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; "
    "base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

std::string_view content_type_of(std::string_view name) {
    if (name.ends_with(".html")) return "text/html; charset=utf-8";
    if (name.ends_with(".js")) return "text/javascript; charset=utf-8";
    if (name.ends_with(".css")) return "text/css; charset=utf-8";
    return "application/octet-stream";
}

http::response file_response(const dashboard_file& f) {
    http::response r;
    r.body = std::string(f.body);
    r.set_header("Content-Type", std::string(content_type_of(f.name)));
    r.set_header("Content-Security-Policy", std::string(content_security_policy));
    r.set_header("X-Content-Type-Options", "nosniff");
    r.set_header("Referrer-Policy", "no-referrer");
    r.set_header("Cache-Control", "no-cache");  // the files change with the host
    return r;
}

http::response unauthorized(std::string_view why) {
    return http::problem(401, std::string(why) + "; ask for a new link (POST /dashboard/links, or berthctl dashboard)");
}

// "localhost:8080" -> "8080"; "" when the Host names no port or a malformed one.
std::string port_of(std::string_view host) {
    const auto name = http::host_name(host);
    auto rest = host.substr(name.size());
    if (rest.size() < 2 || rest.size() > 6 || rest.front() != ':') return {};
    rest.remove_prefix(1);
    if (!std::all_of(rest.begin(), rest.end(), [](char c) { return c >= '0' && c <= '9'; })) return {};
    return std::string(rest);
}

}  // namespace

bool admin_api::is_open_dashboard_call(const http::request& request) {
    auto target = http::parse_target(request.target);
    if (!target) return false;
    const auto& s = target->segments;
    const bool read = request.method == "GET" || request.method == "HEAD";
    if (read) return s.empty() || (s.size() == 2 && s[0] == "dashboard" && s[1] != "links" && s[1] != "session");
    return request.method == "POST" && s.size() == 2 && s[0] == "dashboard" && s[1] == "session";
}

http::response admin_api::dashboard_asset(std::string_view name) const {
    const auto& files = dashboard_files();
    // Compared with the fixed names only: nothing the client sent is looked up on disk.
    auto f = std::find_if(files.begin(), files.end(), [&](const dashboard_file& d) { return d.name == name; });
    if (name == "index.html" || f == files.end()) return http::problem(404, "no such file under /dashboard");
    return file_response(*f);
}

http::response admin_api::dashboard_page() const {
    for (auto& f : dashboard_files())
        if (f.name == "index.html") return file_response(f);
    return http::problem(404, "this host was built without its dashboard");
}

void admin_api::dashboard_link(const http::request& request, const completion& done) {
    if (!request.body.empty()) {
        auto body = contract::parse_json_body(request.body);
        auto* j = std::get_if<nlohmann::json>(&body);
        if (!j || !j->is_object() || !j->empty()) return done(http::problem(400, "the body must be empty or {}"));
    }
    auto code = dashboard_links_->issue();
    if (!code) {
        auto r = http::problem(429, "too many dashboard links are outstanding (at most " +
                                        std::to_string(dashboard_links::max_outstanding) +
                                        "); use one, or wait until one expires");
        r.set_header("Retry-After", std::to_string(dashboard_links::lifetime.count()));
        return done(std::move(r));
    }
    // The Host passed gate(): loopback or admin.allowed_hosts; its port is checked here.
    const auto host_header = request.header("Host");
    std::string origin = "http://" + std::string(http::host_name(host_header));
    if (auto port = port_of(host_header); !port.empty()) origin += ":" + port;
    auto r = http::json_response(201, {{"url", origin + "/#code=" + *code},
                                       {"expires_in_s", dashboard_links::lifetime.count()},
                                       {"detail", "a dashboard link for one use within 60 s"}});
    r.set_header("Cache-Control", "no-store");
    done(std::move(r));
}

void admin_api::dashboard_session(const http::request& request, const completion& done) {
    auto body = contract::parse_json_body(request.body);
    auto* j = std::get_if<nlohmann::json>(&body);
    if (!j || !j->is_object() || j->size() != 1 || !j->contains("code") || !(*j)["code"].is_string())
        return done(http::problem(400, R"(the body must be {"code": "<the code from the link>"})"));
    if (!dashboard_links_->redeem((*j)["code"].get<std::string>()))
        return done(unauthorized("this dashboard code is unknown, expired or already used"));
    spdlog::info("admin API: a dashboard link was used (request {})", request.id);
    // No "detail": the audit log copies an answer's detail, and this answer carries the token.
    auto r = http::json_response(200, {{"token", settings_.token}, {"token_type", "Bearer"}});
    r.set_header("Cache-Control", "no-store");
    done(std::move(r));
}

}  // namespace berth::host::admin
