// The breaking-change gate's judgement: what in a new build's contract would break a client of
// the active build, compared major by major (docs/contracts.md (What is breaking)). Pure: manifests in,
// changes out; the swap (deploy/deployer.cpp) decides what to do with them.
#pragma once

#include <berth/host/module_snapshot.hpp>

#include <nlohmann/json.hpp>

#include <cstddef>
#include <vector>

namespace berth::host::contract {

// {kind, method, path, pointer, message}; method and path as the old build declared them.
using breaking_change = contract_change;

// The kinds a breaking change has.
namespace change_kind {
inline constexpr const char* operation_removed = "operation_removed";        // pointer ""
inline constexpr const char* required_added = "required_added";              // a required field, parameter or body
inline constexpr const char* request_body_removed = "request_body_removed";  // the operation refuses a body now
inline constexpr const char* request_field_removed = "request_field_removed";  // refused by a closed object
inline constexpr const char* type_narrowed = "type_narrowed";
inline constexpr const char* enum_narrowed = "enum_narrowed";
inline constexpr const char* bound_tightened = "bound_tightened";
inline constexpr const char* constraint_added = "constraint_added";  // pattern, format, multipleOf
inline constexpr const char* additional_properties_closed = "additional_properties_closed";
inline constexpr const char* response_field_removed = "response_field_removed";
inline constexpr const char* response_field_optional = "response_field_optional";  // no longer required
inline constexpr const char* response_type_changed = "response_type_changed";
inline constexpr const char* status_removed = "status_removed";
inline constexpr const char* auth_added = "auth_added";
inline constexpr const char* scope_added = "scope_added";
inline constexpr const char* callers_restricted = "callers_restricted";
// A change the gate cannot prove compatible (inside allOf/anyOf/oneOf/not/if, a tuple, or past
// the depth bound): refused to be safe; an operator who knows better forces the swap.
inline constexpr const char* unverifiable = "unverifiable";
}  // namespace change_kind

// How many changes an answer, a log line or a snapshot lists; the count says how many there were.
inline constexpr std::size_t max_listed_changes = 100;

// Every breaking change from `old_manifest` to `new_manifest` (manifests as
// pipeline::route_set::manifest holds them: each compiled once already), for every major both
// builds serve. A major the new build does not serve is not compared (the old generation
// keeps serving it). Operations are matched by method and path, path parameter names ignored.
// Schemas are compared with their components inlined; nesting is compared 32 levels deep,
// below that any difference is `unverifiable`. In the old manifest's order of operations.
std::vector<breaking_change> breaking_changes(const nlohmann::json& old_manifest, const nlohmann::json& new_manifest);

// {kind, method, path, pointer, message}.
nlohmann::json to_json(const breaking_change& c);

}  // namespace berth::host::contract
