// The merged document of every module (contract/openapi.hpp): each module's document with
// its names prefixed, its paths under its own server.
#include "contract/openapi.hpp"

#include "contract/components.hpp"

#include <set>
#include <string>

namespace berth::host::contract {

namespace {

using json = nlohmann::json;

// Every {"$ref": "#/components/schemas/X"} in `j` becomes "...<module>.X" ("Problem" is shared).
void prefix_refs(json& j, const std::string& module) {
    if (j.is_array()) {
        for (auto& x : j) prefix_refs(x, module);
        return;
    }
    if (!j.is_object()) return;
    for (auto& [k, v] : j.items()) {
        if (k == "enum" || k == "const" || k == "default" || k == "examples") continue;  // data, not schemas
        if (k == "$ref" && v.is_string()) {
            auto& target = v.get_ref<std::string&>();
            if (target.rfind(component_ref_prefix, 0) == 0 && target != std::string(component_ref_prefix) + "Problem")
                target.insert(component_ref_prefix.size(), module + ".");
            continue;
        }
        prefix_refs(v, module);
    }
}

bool is_operation_key(const std::string& k) { return k != "servers" && k != "parameters" && k != "summary" && k != "description"; }

// A path two modules both declare: servers move from the path item to its operations.
void servers_to_operations(json& item) {
    auto s = item.find("servers");
    if (s == item.end()) return;
    const json servers = *s;
    item.erase("servers");
    for (auto& [k, op] : item.items())
        if (is_operation_key(k)) op["servers"] = servers;
}

void merge_tags(json& into, std::set<std::string>& known, const json& tags) {
    for (auto& t : tags)
        if (known.insert(t.value("name", "")).second) into.push_back(t);
}

void merge_part(json& out, std::set<std::string>& tags, const merged_part& part) {
    json doc = *part.document;
    prefix_refs(doc, part.module);
    const json servers = json::array({{{"url", part.server_url}, {"description", "the " + part.module + " module"}}});
    auto& paths = out["paths"];
    for (auto& [path, item] : doc["paths"].items()) {
        for (auto& [k, op] : item.items())
            if (is_operation_key(k) && op.contains("operationId"))
                op["operationId"] = part.module + "." + op["operationId"].get<std::string>();
        if (!paths.contains(path)) {
            item["servers"] = servers;
            paths[path] = std::move(item);
            continue;
        }
        // Two modules on one path (they are on different ports): servers per operation; a
        // method both declare keeps the first module's (one path item cannot hold two).
        auto& have = paths[path];
        servers_to_operations(have);
        for (auto& [k, op] : item.items()) {
            if (!is_operation_key(k) || have.contains(k)) continue;
            op["servers"] = servers;
            have[k] = std::move(op);
        }
    }
    for (auto& [name, schema] : doc["components"]["schemas"].items())
        out["components"]["schemas"][name == "Problem" ? name : part.module + "." + name] = schema;
    if (auto s = doc["components"].find("securitySchemes"); s != doc["components"].end())
        for (auto& [name, scheme] : s->items()) out["components"]["securitySchemes"][name] = scheme;
    merge_tags(out["tags"], tags, doc["tags"]);
}

bool is_wildcard(std::string_view address) {
    return address.empty() || address == "0.0.0.0" || address == "::" || address == "[::]" || address == "*";
}

}  // namespace

json merged_document(const std::vector<merged_part>& parts, std::string_view version) {
    json out = {{"openapi", "3.1.0"},
                {"info",
                 {{"title", "Berth: every module"},
                  {"version", std::string(version)},
                  {"description", "Every module this host serves, each on its own port: a path's servers name its module's."}}},
                {"tags", json::array()},
                {"paths", json::object()},
                {"components", {{"schemas", {{"Problem", problem_schema()}}}}}};
    std::set<std::string> tags;
    for (auto& part : parts)
        if (part.document) merge_part(out, tags, part);
    return out;
}

std::string server_url(std::string_view address, std::uint16_t port, std::string_view request_host) {
    std::string host(is_wildcard(address) ? request_host : address);
    if (host.find(':') != std::string::npos && host.front() != '[') host = "[" + host + "]";  // an IPv6 literal
    return "http://" + host + ":" + std::to_string(port);
}

}  // namespace berth::host::contract
