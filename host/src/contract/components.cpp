#include "contract/components.hpp"

#include <stdexcept>
#include <string>
#include <vector>

namespace berth::host::contract {

namespace {

constexpr int max_reference_depth = 32;
// Values a schema may grow to once inlined: components that each refer to the next twice double
// at every step, so a small manifest could otherwise take the deploy thread minutes and gigabytes.
constexpr std::size_t max_inlined_nodes = 100'000;

struct budget {
    std::size_t nodes = 0;
    void spend() {
        if (++nodes > max_inlined_nodes)
            throw std::invalid_argument("a schema grows past 100,000 values once its references are inlined");
    }
};

nlohmann::json resolve(const nlohmann::json& schema, const nlohmann::json& components,
                       std::vector<std::string>& chain, budget& left) {
    left.spend();
    if (schema.is_array()) {
        nlohmann::json out = nlohmann::json::array();
        for (auto& x : schema) out.push_back(resolve(x, components, chain, left));
        return out;
    }
    if (!schema.is_object()) return schema;
    if (auto r = schema.find("$ref"); r != schema.end()) {
        if (!r->is_string()) throw std::invalid_argument("$ref must be a string");
        const auto& target = r->get_ref<const std::string&>();
        if (target.rfind(component_ref_prefix, 0) != 0)
            throw std::invalid_argument("$ref \"" + target + "\" must start with " + std::string(component_ref_prefix));
        const std::string name = target.substr(component_ref_prefix.size());
        auto c = components.find(name);
        if (c == components.end()) throw std::invalid_argument("$ref names no component: \"" + name + "\"");
        for (auto& seen : chain)
            if (seen == name) throw std::invalid_argument("component \"" + name + "\" refers to itself");
        if (chain.size() >= max_reference_depth)
            throw std::invalid_argument("components nest more than 32 references deep");
        chain.push_back(name);
        auto out = resolve(*c, components, chain, left);
        chain.pop_back();
        return out;
    }
    nlohmann::json out = nlohmann::json::object();
    for (auto& [k, v] : schema.items()) {
        // "properties" and the like map names to schemas; "enum"/"const" values are data, not schemas.
        out[k] = (k == "enum" || k == "const" || k == "default" || k == "examples") ? v : resolve(v, components, chain, left);
    }
    return out;
}

}  // namespace

const nlohmann::json& problem_schema() {
    static const nlohmann::json schema = {
        {"type", "object"},
        {"required", {"type", "title", "status"}},
        {"properties",
         {{"type", {{"type", "string"}}},
          {"title", {{"type", "string"}}},
          {"status", {{"type", "integer"}, {"minimum", 100}, {"maximum", 599}}},
          {"detail", {{"type", "string"}}},
          {"instance", {{"type", "string"}}},
          {"errors",
           {{"type", "array"},
            {"items",
             {{"type", "object"},
              {"properties",
               {{"in", {{"type", "string"}}}, {"pointer", {{"type", "string"}}}, {"message", {{"type", "string"}}}}}}}}}}},
    };
    return schema;
}

nlohmann::json all_components(const nlohmann::json& manifest) {
    nlohmann::json out = nlohmann::json::object();
    if (manifest.is_object()) {
        if (auto c = manifest.find("components"); c != manifest.end()) {
            if (!c->is_object()) throw std::invalid_argument("components must be an object of named schemas");
            if (c->size() > 1000) throw std::invalid_argument("components: at most 1000");
            for (auto& [name, schema] : c->items()) {
                if (name == "Problem") throw std::invalid_argument("the component name \"Problem\" is the host's");
                if (!schema.is_object() && !schema.is_boolean())
                    throw std::invalid_argument("component \"" + name + "\" is not a schema");
                out[name] = schema;
            }
        }
    }
    out["Problem"] = problem_schema();
    return out;
}

nlohmann::json inline_components(const nlohmann::json& schema, const nlohmann::json& components) {
    std::vector<std::string> chain;
    budget left;
    return resolve(schema, components, chain, left);
}

}  // namespace berth::host::contract
