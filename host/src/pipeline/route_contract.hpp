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

bool contains(const std::vector<std::string>& v, std::string_view x);

// "a b  c" -> {"a", "b", "c"}.
std::vector<std::string> split_scopes(std::string_view s);

// A manifest field that must be an array of strings (or absent); throws std::invalid_argument
// naming `what` otherwise.
std::vector<std::string> string_list(const nlohmann::json& j, const char* what);

// The type a JSON Schema property declares ("string" when it says nothing usable).
std::string declared_type(const nlohmann::json& property);

// Query values arrive as text; this gives one the type the schema declares (integer, number,
// boolean) so the schema can check it, and leaves it text when it is not of that type.
nlohmann::json convert_query_value(std::string_view type, const std::string& value);

}  // namespace berth::host::pipeline
