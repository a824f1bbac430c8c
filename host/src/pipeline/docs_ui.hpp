// GET /docs: Swagger UI for the /openapi.json of the same origin, answered by the host on every
// module port (that module's document; "Try it out" calls the module without CORS) and on the
// admin listener (the merged document, links to each module's page, calls off: they would be
// cross-origin). The page loads only files of its own origin: /docs/init.js (no inline script)
// and the fixed Swagger UI files (docs_assets.hpp), under a Content-Security-Policy of 'self'.
#pragma once

#include "http/message.hpp"
#include "pipeline/docs_assets.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace berth::host::pipeline {

// True when the target's path is /docs or lies under /docs/ (the query is ignored).
bool is_docs_target(std::string_view target);

// 405 with Allow: GET, HEAD for any other method on a docs path; nullopt for GET and HEAD.
std::optional<http::response> refuse_docs_method(std::string_view method);

// A module port's /docs, /docs/init.js and /docs/<file>; `module` titles the page. Null or
// not installed() `assets`: 404 problem saying the UI is not installed.
http::response serve_module_docs(const docs_assets* assets, const http::request& request, std::string_view module);

// One module on the admin page: its name and its page's absolute URL (empty: not listening).
struct docs_link {
    std::string module;
    std::string url;
};

// The admin listener's /docs: as a module's, plus the list of module pages.
http::response serve_admin_docs(const docs_assets* assets, const http::request& request,
                                const std::vector<docs_link>& links);

// http://<host>:<port>/docs for a module bound to `bind_address`: that address, or, when it is
// a wildcard (0.0.0.0, ::), the host name of `host_header` (which the caller has validated).
std::string module_docs_url(std::string_view bind_address, std::uint16_t port, std::string_view host_header);

}  // namespace berth::host::pipeline
