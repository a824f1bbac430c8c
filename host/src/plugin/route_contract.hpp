// Pieces of a route's contract, as the manifest declares it and as a request is checked
// against it: scope lists, string lists, and query values typed as the schema declares.
#pragma once

#include <nlohmann/json.hpp>

#include <string>
#include <string_view>
#include <vector>

namespace berth::host::plugin {

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
nlohmann::json convert_query_value(const std::string& type, const std::string& value);

}  // namespace berth::host::plugin
