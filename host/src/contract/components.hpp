// Named schemas a manifest shares between its routes ("components", referenced as
// {"$ref": "#/components/schemas/<name>"}), and the host's own: Problem, the RFC 9457 body
// every problem+json answer has. The OpenAPI document keeps the references; validation and
// the breaking-change gate need them inlined.
#pragma once

#include <nlohmann/json.hpp>

#include <string_view>

namespace berth::host::contract {

// The prefix every reference a manifest may use starts with.
inline constexpr std::string_view component_ref_prefix = "#/components/schemas/";

// The host's Problem schema (RFC 9457 with Berth's `errors` list).
const nlohmann::json& problem_schema();

// The manifest's components with the host's added; throws std::invalid_argument when the
// manifest's are not an object of schemas or declare "Problem".
nlohmann::json all_components(const nlohmann::json& manifest);

// `schema` with every {"$ref": "#/components/schemas/X"} replaced by X (itself resolved).
// Throws std::invalid_argument for a reference of any other form, an unknown name, a cycle,
// or nesting past 32 references.
nlohmann::json inline_components(const nlohmann::json& schema, const nlohmann::json& components);

}  // namespace berth::host::contract
