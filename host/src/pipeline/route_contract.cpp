#include "pipeline/route_contract.hpp"

#include "contract/json_schema.hpp"
#include "pipeline/host_routes.hpp"

#include <stdexcept>

namespace berth::host::pipeline {

namespace {

// A manifest field that must be an array of strings (or absent); throws std::invalid_argument
// naming `what` otherwise.
std::vector<std::string> string_list(const nlohmann::json& j, const char* what) {
    std::vector<std::string> out;
    if (j.is_null()) return out;
    if (!j.is_array()) throw std::invalid_argument(std::string(what) + " must be an array of strings");
    for (auto& x : j) {
        if (!x.is_string()) throw std::invalid_argument(std::string(what) + " must be an array of strings");
        out.push_back(x.get<std::string>());
    }
    return out;
}

// The type a JSON Schema property declares ("string" when it says nothing usable).
std::string declared_type(const nlohmann::json& property) {
    if (!property.is_object()) return "string";
    auto t = property.find("type");
    if (t == property.end()) return "string";
    if (t->is_string()) return t->get<std::string>();
    if (t->is_array()) {
        for (auto& x : *t)
            if (x.is_string() && x != "null") return x.get<std::string>();
    }
    return "string";
}

}  // namespace

std::variant<route_set, std::string> compile_routes(const nlohmann::json& manifest) {
    if (!manifest.is_object() || !manifest.contains("routes") || !manifest["routes"].is_array())
        return std::string("the manifest is not a JSON object with a \"routes\" array");
    route_set out;
    std::size_t index = 0;
    for (auto& r : manifest["routes"]) {
        const std::string where = "route #" + std::to_string(index);
        if (!r.is_object() || !r.contains("method") || !r.contains("path") || !r["method"].is_string() ||
            !r["path"].is_string())
            return where + " needs a method and a path";
        route_contract c;
        c.method = r["method"].get<std::string>();
        c.path = r["path"].get<std::string>();
        try {
            if (is_reserved_path(c.path)) throw std::invalid_argument("the host answers this path on every port");
            out.table.add(c.method, c.path, index);
            if (r.contains("schema")) c.body = contract::json_schema::compile(r["schema"]);
            if (r.contains("auth")) {
                c.auth = true;
                if (!r["auth"].is_object()) throw std::invalid_argument("auth must be an object");
                c.scopes = string_list(r["auth"].value("scopes", nlohmann::json::array()), "auth.scopes");
            }
            if (r.contains("callers")) c.callers = string_list(r["callers"], "callers");
            if (r.contains("query")) {
                c.query = contract::json_schema::compile(r["query"]);
                if (auto props = r["query"].find("properties"); props != r["query"].end() && props->is_object())
                    for (auto& [k, v] : props->items()) c.query_types[k] = declared_type(v);
            }
        } catch (const std::exception& e) {
            return where + " (" + c.method + " " + c.path + "): " + e.what();
        }
        out.routes.push_back(std::move(c));
        ++index;
    }
    return out;
}

}  // namespace berth::host::pipeline
