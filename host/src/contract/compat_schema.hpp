// One schema of an operation compared across two builds, for the breaking-change gate
// (contract/compat.hpp). A request schema may only widen (a client's old payloads must still
// pass); a response schema may only narrow (a client's old reading must still hold).
#pragma once

#include "contract/compat.hpp"

#include <nlohmann/json.hpp>

#include <string>
#include <vector>

namespace berth::host::contract {

// Where the changes found go, and whose they are.
struct change_sink {
    std::vector<breaking_change>& out;
    const std::string& method;
    const std::string& path;
    void add(const char* kind, std::string pointer, std::string message) const {
        out.push_back({kind, method, path, std::move(pointer), std::move(message)});
    }
};

// `noun` names what a property is to a client: "field" (body) or "query parameter".
// Both schemas have their components inlined. `pointer` is where `old_schema` sits in the operation.
void compare_request_schema(const nlohmann::json& old_schema, const nlohmann::json& new_schema,
                            const std::string& pointer, const char* noun, const change_sink& sink);
void compare_response_schema(const nlohmann::json& old_schema, const nlohmann::json& new_schema,
                             const std::string& pointer, const change_sink& sink);

// A property name as a JSON pointer token (RFC 6901: "~" -> "~0", "/" -> "~1").
std::string pointer_token(const std::string& name);

}  // namespace berth::host::contract
