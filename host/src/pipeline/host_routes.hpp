// Routes every module's port answers itself, never a plugin: GET and HEAD /healthz and
// /openapi.json. They behave like declared routes (HEAD works, other methods get 405 with
// Allow) but are answered on the I/O thread, so a module whose handlers are all busy still
// answers them.
#pragma once

#include "http/message.hpp"

#include <optional>
#include <string_view>

namespace berth::host::pipeline {

enum class host_route { none, health, openapi };

// Which host route a request target names (the query is ignored).
host_route host_route_of(std::string_view target);

// The 405 for a method a host route does not take; nullopt for GET and HEAD.
std::optional<http::response> refuse_method(host_route route, std::string_view method);

// True when a plugin may not declare this path template: the host answers it.
bool is_reserved_path(std::string_view path_template);

// 200 with a published OpenAPI document's text (application/json).
http::response openapi_response(const std::string& document_text);

}  // namespace berth::host::pipeline
