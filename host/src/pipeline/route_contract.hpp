// A route's contract as the manifest declares it, compiled once per generation: the route
// table the route stage matches against, and what the later stages check (callers, bearer
// token and scopes, query and body schemas).
#pragma once

#include "http/route_table.hpp"

#include <nlohmann/json.hpp>

#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace berth::host::contract {
class json_schema;
}

namespace berth::host::pipeline {

struct route_contract {
    std::string method, path;
    std::shared_ptr<const contract::json_schema> body;
    std::shared_ptr<const contract::json_schema> query;
    std::map<std::string, std::string, std::less<>> query_types;  // declared property type, for conversion
    bool auth = false;                 // a valid bearer token is required
    std::vector<std::string> scopes;   // ... carrying all of these
    std::vector<std::string> callers;  // only these modules may call (in-process); empty: anyone
};

// Every route of one generation; a route's id in the table is its index in `routes`.
struct route_set {
    http::route_table table;
    std::vector<route_contract> routes;
};

// The manifest's "routes", compiled; or a sentence naming the first route that is wrong.
std::variant<route_set, std::string> compile_routes(const nlohmann::json& manifest);

}  // namespace berth::host::pipeline
