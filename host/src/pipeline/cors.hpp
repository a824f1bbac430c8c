// CORS per module (config `cors.allowed_origins`): the host answers preflights and marks
// answers to an allowed origin, so a browser app on another origin can call the module. It is
// not access control: a request from any origin is served as before (auth is what guards a
// route); only the browser's permission to read the answer depends on the origin.
#pragma once

#include "http/message.hpp"

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace berth::host::pipeline {

// Why `origin` is not an exact origin as a browser sends it ("scheme://host[:port]": http or
// https, a lower-case host name or IP literal, no path, no trailing slash, no wildcard);
// nullopt when it is one.
std::optional<std::string> origin_error(std::string_view origin);

// OPTIONS with Origin and Access-Control-Request-Method: a browser's preflight.
bool is_preflight(const http::request& request);

// The host's answer to a preflight: 204 with the Access-Control-Allow-* headers when the
// origin is allowed and asks for a method and headers the host allows; 403 problem (no
// Access-Control-Allow-Origin) otherwise.
http::response preflight(const std::vector<std::string>& allowed_origins, const http::request& request);

// What an answer from a module that allows some origin carries: Vary: Origin (the answer
// depends on it) and, when the request's origin is allowed (`allowed_origin` not empty),
// Access-Control-Allow-Origin and -Expose-Headers.
void add_cors_headers(std::string_view allowed_origin, http::response& r);

// `done`, wrapped to add those headers; `done` itself when the module allows no origin.
std::function<void(http::response)> with_cors(const std::vector<std::string>& allowed_origins,
                                              const http::request& request, std::function<void(http::response)> done);

}  // namespace berth::host::pipeline
