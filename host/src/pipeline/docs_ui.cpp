#include "pipeline/docs_ui.hpp"

#include "http/problem.hpp"

#include <functional>

namespace berth::host::pipeline {

namespace {

constexpr std::string_view docs_path = "/docs";
// Only this origin's files and data: images (Swagger UI's icons are data: URIs in its CSS).
constexpr std::string_view content_security_policy =
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
    "font-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

// Served by the page's <script src>: an inline initialiser would need 'unsafe-inline'.
constexpr std::string_view module_init_js = R"(// Berth: Swagger UI for this origin's /openapi.json.
window.addEventListener("load", function () {
  window.ui = SwaggerUIBundle({
    url: "/openapi.json",
    dom_id: "#swagger-ui",
    deepLinking: true,
    validatorUrl: null,
    presets: [SwaggerUIBundle.presets.apis],
    layout: "BaseLayout"
  });
});
)";

// The merged document's operations live on other ports: a call from here would be cross-origin
// (and refused by the page's own connect-src), so "Try it out" is off; each module's page has it.
constexpr std::string_view admin_init_js = R"(// Berth: Swagger UI for the merged /openapi.json of every module.
window.addEventListener("load", function () {
  window.ui = SwaggerUIBundle({
    url: "/openapi.json",
    dom_id: "#swagger-ui",
    deepLinking: true,
    validatorUrl: null,
    supportedSubmitMethods: [],
    presets: [SwaggerUIBundle.presets.apis],
    layout: "BaseLayout"
  });
});
)";

constexpr std::string_view berth_css = R"(/* Berth: the list of module pages above the merged document. */
.berth-modules { font-family: sans-serif; font-size: 14px; margin: 16px 20px 0; }
.berth-modules a { margin-right: 16px; }
)";

std::string escape_html(std::string_view s) {
    std::string out;
    out.reserve(s.size());
    for (char c : s) {
        switch (c) {
            case '&': out += "&amp;"; break;
            case '<': out += "&lt;"; break;
            case '>': out += "&gt;"; break;
            case '"': out += "&quot;"; break;
            case '\'': out += "&#39;"; break;
            default: out += c;
        }
    }
    return out;
}

std::string page(std::string_view title, std::string_view nav) {
    std::string html = "<!doctype html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>";
    html += escape_html(title);
    html += "</title>\n"
            "<link rel=\"stylesheet\" href=\"/docs/swagger-ui.css\">\n"
            "<link rel=\"stylesheet\" href=\"/docs/berth.css\">\n"
            "<link rel=\"icon\" type=\"image/png\" href=\"/docs/favicon-32x32.png\" sizes=\"32x32\">\n"
            "<link rel=\"icon\" type=\"image/png\" href=\"/docs/favicon-16x16.png\" sizes=\"16x16\">\n"
            "</head>\n<body>\n";
    html += nav;
    html += "<div id=\"swagger-ui\"></div>\n"
            "<script src=\"/docs/swagger-ui-bundle.js\"></script>\n"
            "<script src=\"/docs/init.js\"></script>\n"
            "</body>\n</html>\n";
    return html;
}

http::response file(std::string_view content_type, std::string body, bool cacheable) {
    http::response r;
    r.body = std::move(body);
    r.set_header("Content-Type", std::string(content_type));
    r.set_header("Content-Security-Policy", std::string(content_security_policy));
    r.set_header("X-Content-Type-Options", "nosniff");
    r.set_header("Referrer-Policy", "no-referrer");
    // The page and its initialiser follow the host; Swagger UI's files change only with it.
    r.set_header("Cache-Control", cacheable ? "public, max-age=3600" : "no-cache");
    return r;
}

std::string_view path_of(std::string_view target) { return target.substr(0, target.find('?')); }

// Everything but the page itself, which the caller makes.
http::response serve(const docs_assets* assets, const http::request& request, std::string_view init_js,
                     const std::function<std::string()>& make_page) {
    if (auto refusal = refuse_docs_method(request.method)) return std::move(*refusal);
    if (!assets || !assets->installed())
        return http::problem(404, "the API documentation UI is not installed on this host; /openapi.json describes the API");
    const auto path = path_of(request.target);
    if (path == docs_path || path == "/docs/") return file("text/html; charset=utf-8", make_page(), false);
    const auto name = path.substr(docs_path.size() + 1);
    if (name == "init.js") return file("text/javascript; charset=utf-8", std::string(init_js), false);
    if (name == "berth.css") return file("text/css; charset=utf-8", std::string(berth_css), false);
    // Compared with the fixed names only: nothing the client sent is looked up on disk.
    if (auto* f = assets->find(name)) return file(f->content_type, f->body, true);
    return http::problem(404, "no such file under /docs");
}

}  // namespace

bool is_docs_target(std::string_view target) {
    const auto path = path_of(target);
    return path.substr(0, docs_path.size()) == docs_path && (path.size() == docs_path.size() || path[docs_path.size()] == '/');
}

std::optional<http::response> refuse_docs_method(std::string_view method) {
    if (method == "GET" || method == "HEAD") return std::nullopt;
    auto r = http::problem(405, std::string(method) + " is not allowed on /docs; allowed: GET, HEAD");
    r.set_header("Allow", "GET, HEAD");
    return r;
}

http::response serve_module_docs(const docs_assets* assets, const http::request& request, std::string_view module) {
    return serve(assets, request, module_init_js, [&] { return page(std::string(module) + " API", ""); });
}

http::response serve_admin_docs(const docs_assets* assets, const http::request& request,
                                const std::vector<docs_link>& links) {
    return serve(assets, request, admin_init_js, [&] {
        std::string nav = "<nav class=\"berth-modules\"><strong>Module pages (with Try it out):</strong>\n";
        for (auto& l : links) {
            if (l.url.empty()) {
                nav += "<span>" + escape_html(l.module) + " (not listening)</span>\n";
            } else {
                nav += "<a href=\"" + escape_html(l.url) + "\">" + escape_html(l.module) + "</a>\n";
            }
        }
        nav += "</nav>\n";
        return page("Berth: every module's API", nav);
    });
}

std::string module_docs_url(std::string_view bind_address, std::uint16_t port, std::string_view host_header) {
    std::string host(bind_address);
    if (host == "0.0.0.0" || host == "::" || host == "[::]") {
        host = std::string(http::host_name(host_header));
        if (host.empty()) host = "127.0.0.1";
    } else if (host.find(':') != std::string::npos && host.front() != '[') {
        host = "[" + host + "]";  // an IPv6 literal
    }
    return "http://" + host + ":" + std::to_string(port) + "/docs";
}

}  // namespace berth::host::pipeline
