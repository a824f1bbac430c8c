// The document of a module whose majors several generations serve (majors side by side): the
// active generation's document, plus each older generation's paths for the majors it serves.
#include "contract/components.hpp"
#include "contract/openapi.hpp"
#include "pipeline/route_contract.hpp"

#include <algorithm>
#include <map>

namespace berth::host::contract {

namespace {

using json = nlohmann::json;

void rename_refs(json& j, const std::map<std::string, std::string>& renamed) {
    if (j.is_array()) {
        for (auto& x : j) rename_refs(x, renamed);
        return;
    }
    if (!j.is_object()) return;
    for (auto& [k, v] : j.items()) {
        if (k == "$ref" && v.is_string()) {
            const auto& target = v.get_ref<const std::string&>();
            if (target.rfind(component_ref_prefix, 0) == 0) {
                auto it = renamed.find(target.substr(component_ref_prefix.size()));
                if (it != renamed.end()) v = std::string(component_ref_prefix) + it->second;
            }
            continue;
        }
        rename_refs(v, renamed);
    }
}

void add_older(json& out, const json& older, const std::vector<int>& majors) {
    if (majors.empty() || !older.contains("paths")) return;
    // Components the builds declare differently keep both shapes: the older one is renamed.
    std::map<std::string, std::string> renamed;
    json& schemas = out["components"]["schemas"];
    const json no_schemas = json::object();
    const json& theirs = older.contains("components") && older["components"].contains("schemas")
                             ? older["components"]["schemas"]
                             : no_schemas;
    for (auto& [name, schema] : theirs.items()) {
        auto mine = schemas.find(name);
        if (mine != schemas.end() && *mine != schema) renamed[name] = name + ".v" + std::to_string(majors.front());
    }
    for (auto& [name, schema] : theirs.items()) {
        json copy = schema;
        rename_refs(copy, renamed);
        auto r = renamed.find(name);
        schemas[r == renamed.end() ? name : r->second] = std::move(copy);
    }
    for (auto& [path, item] : older["paths"].items()) {
        auto major = pipeline::major_of(path);
        if (!major || std::find(majors.begin(), majors.end(), *major) == majors.end()) continue;
        json copy = item;
        rename_refs(copy, renamed);
        out["paths"][path] = std::move(copy);
    }
    if (older.contains("tags"))
        for (auto& t : older["tags"]) {
            auto& tags = out["tags"];
            if (std::none_of(tags.begin(), tags.end(), [&](const json& x) { return x.value("name", "") == t.value("name", ""); }))
                tags.push_back(t);
        }
}

}  // namespace

std::shared_ptr<const published_document> side_by_side(const json& active, const std::vector<serving_part>& older) {
    json out = active;
    if (!out.contains("paths")) out["paths"] = json::object();
    if (!out.contains("tags")) out["tags"] = json::array();
    for (auto& part : older)
        if (part.document) add_older(out, *part.document, part.majors);
    auto doc = std::make_shared<published_document>();
    doc->text = document_text(out);
    doc->json = std::move(out);
    return doc;
}

}  // namespace berth::host::contract
