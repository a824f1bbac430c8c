// categories: the JSON Schemas of its requests and answers (components and route bodies).
#pragma once

#include <nlohmann/json.hpp>

namespace categories_schemas {

using nlohmann::json;

inline json id() { return {{"type", "integer"}, {"minimum", 1}}; }
inline json parent_id() { return {{"type", {"integer", "null"}}, {"minimum", 1}}; }
// Trimmed by the handler; `\S`: at least one character that is not whitespace (blank is 400).
inline json name() { return {{"type", "string"}, {"minLength", 1}, {"maxLength", 100}, {"pattern", "\\S"}}; }

inline json object_of(json properties, json required) {
    return {{"type", "object"}, {"required", std::move(required)}, {"additionalProperties", false}, {"properties", std::move(properties)}};
}
inline json create_request() { return object_of({{"name", name()}, {"parent_id", parent_id()}}, {"name"}); }
inline json rename_request() { return object_of({{"name", name()}}, {"name"}); }
// parent_id is required: null (the top) must be said, not implied by an empty body.
inline json move_request() { return object_of({{"parent_id", parent_id()}}, {"parent_id"}); }

// Response objects stay open (no additionalProperties: false): a new field is an additive change.
inline json category() {
    return {{"type", "object"},
            {"required", {"id", "name", "parent_id"}},
            {"properties", {{"id", id()}, {"name", {{"type", "string"}}}, {"parent_id", parent_id()}}}};
}
inline json subtree() {
    return {{"type", "object"},
            {"required", {"id", "ids"}},
            {"properties", {{"id", id()}, {"ids", {{"type", "array"}, {"minItems", 1}, {"items", id()}}}}}};
}
// A tree node. Components cannot refer to themselves (validation inlines them), so the first
// two levels are checked whole and deeper ones as nodes with children.
inline json category_node() {
    const json deeper = {{"type", "object"},
                         {"required", {"id", "name", "children"}},
                         {"properties", {{"id", id()}, {"name", {{"type", "string"}}}, {"children", {{"type", "array"}}}}}};
    const json child = {{"type", "object"},
                        {"required", {"id", "name", "children"}},
                        {"properties", {{"id", id()}, {"name", {{"type", "string"}}}, {"children", {{"type", "array"}, {"items", deeper}}}}}};
    return {{"type", "object"},
            {"required", {"id", "name", "children"}},
            {"properties", {{"id", id()}, {"name", {{"type", "string"}}}, {"children", {{"type", "array"}, {"items", child}}}}}};
}

}  // namespace categories_schemas
