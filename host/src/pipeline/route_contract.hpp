// A route's contract as the manifest declares it, compiled once per generation: the route
// table the route stage matches against, and what the later stages check (callers, bearer
// token and scopes, query and body schemas).
#pragma once

#include "http/route_table.hpp"

#include <nlohmann/json.hpp>

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace berth::host::contract {
class json_schema;
}

namespace berth::host::pipeline {

// A response the route declared: checked against its schema when contracts.check_responses is on.
struct declared_response {
    std::shared_ptr<const contract::json_schema> schema;  // null: declared without a body
    std::string media_type;                               // application/json or application/problem+json
};

struct route_contract {
    std::string method, path;
    int major = 0;  // the N of the /vN/ the path starts with
    bool deprecated = false;  // its major is deprecated (route_set::majors says until when)
    std::shared_ptr<const contract::json_schema> body;
    bool body_optional = false;  // with a body schema: an empty body is let through unchecked
    std::string takes;  // a body the plugin reads itself, of this media type (no schema); empty: none
    std::shared_ptr<const contract::json_schema> query;
    std::map<std::string, std::string, std::less<>> query_types;  // declared property type, for conversion
    bool auth = false;                 // a valid bearer token is required
    std::vector<std::string> scopes;   // ... carrying all of these
    std::vector<std::string> callers;  // only these modules may call (in-process); empty: anyone
    std::map<int, declared_response> responses;  // by status; empty: the route declared none
};

// A major version the generation serves, and whether the manifest deprecated it.
struct major_version {
    bool deprecated = false;
    std::string deprecation;  // the Deprecation header's value (RFC 9745): "@<unix seconds>"
    std::string sunset;       // the Sunset header's value (RFC 8594): an HTTP-date
    std::string link;         // where to read about the successor; may be empty
};

// Every route of one generation; a route's id in the table is its index in `routes`.
struct route_set {
    http::route_table table;
    std::vector<route_contract> routes;
    std::map<int, major_version> majors;  // every major a route is under
    nlohmann::json manifest;              // as the plugin declared it (OpenAPI, the breaking-change gate)
};

// The major of a route path "/v{N}/...", or nullopt when it does not start with one
// (N from 1 to 9999, no leading zero).
std::optional<int> major_of(std::string_view path);

// The manifest's "routes", compiled; or a sentence naming the first route that is wrong.
std::variant<route_set, std::string> compile_routes(const nlohmann::json& manifest);

}  // namespace berth::host::pipeline
