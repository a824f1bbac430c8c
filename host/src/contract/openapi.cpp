#include "contract/openapi.hpp"

#include "contract/components.hpp"
#include "contract/host_answers.hpp"
#include "pipeline/route_contract.hpp"

#include <algorithm>
#include <cctype>
#include <set>

namespace berth::host::contract {

namespace {

using json = nlohmann::json;

const json problem_ref = {{"$ref", std::string(component_ref_prefix) + "Problem"}};

// The methods an OpenAPI path item can hold.
const std::set<std::string, std::less<>> openapi_methods = {"get", "put", "post", "delete", "options", "head", "patch", "trace"};

std::string lower(std::string s) {
    for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return s;
}

// A string member of a manifest object, or "" when absent or not a string.
std::string text_of(const json& object, const char* key) {
    auto it = object.find(key);
    return it != object.end() && it->is_string() ? it->get<std::string>() : std::string();
}

// "post" + "/v1/products/{id}/reprice" -> "postV1ProductsByIdReprice".
std::string derived_operation_id(const std::string& method, const std::string& path) {
    std::string out = lower(method);
    bool upper = true;
    for (std::size_t i = 0; i < path.size(); ++i) {
        const char c = path[i];
        if (c == '{') {
            out += "By";
            upper = true;
        } else if (std::isalnum(static_cast<unsigned char>(c))) {
            out += upper ? static_cast<char>(std::toupper(static_cast<unsigned char>(c))) : c;
            upper = false;
        } else {
            upper = true;  // '/', '}', '-', '_', '.': a word boundary
        }
    }
    return out;
}

// `wanted`, or wanted_2, wanted_3... when the document already has it.
std::string unique_id(const std::string& wanted, std::set<std::string>& taken) {
    std::string id = wanted;
    for (int n = 2; !taken.insert(id).second; ++n) id = wanted + "_" + std::to_string(n);
    return id;
}

json problem_response(const char* description) {
    return {{"description", description}, {"content", {{"application/problem+json", {{"schema", problem_ref}}}}}};
}

// Content for a body in `media_type`: JSON is also offered as MessagePack, the same document.
json content_for(const std::string& media_type, const json* schema) {
    json media = json::object();
    if (schema) media["schema"] = *schema;
    json content = {{media_type, media}};
    if (media_type == "application/json") content["application/msgpack"] = media;
    return content;
}

json declared_responses(const json& route) {
    json out = json::object();
    auto declared = route.find("responses");
    if (declared == route.end() || !declared->is_object()) return out;
    for (auto& [status, r] : declared->items()) {
        json response = {{"description", text_of(r, "description")}};
        auto schema = r.find("schema");
        const std::string media = r.contains("media_type") ? text_of(r, "media_type") : "application/json";
        if (schema != r.end()) response["content"] = content_for(media, &*schema);
        out[status] = std::move(response);
    }
    return out;
}

// What the host itself may answer on this route, each unless the route declared that status.
void add_host_responses(const json& route, json& responses) {
    for (auto& a : host_answers(route.contains("schema"), route.contains("takes"), route.contains("auth"))) {
        const auto status = std::to_string(a.status);
        if (!responses.contains(status)) responses[status] = problem_response(a.description);
    }
}

// Query parameters from the query object schema: one per property.
void add_query_parameters(const json& route, const json& components, json& parameters) {
    auto q = route.find("query");
    if (q == route.end()) return;
    const json schema = inline_components(*q, components);  // a $ref'd query object needs its properties
    auto props = schema.find("properties");
    if (props == schema.end() || !props->is_object()) return;
    std::set<std::string> required;
    if (auto r = schema.find("required"); r != schema.end() && r->is_array())
        for (auto& name : *r)
            if (name.is_string()) required.insert(name.get<std::string>());
    for (auto& [name, property] : props->items()) {
        json p = {{"name", name}, {"in", "query"}, {"required", required.count(name) > 0}, {"schema", property}};
        if (property.is_object() && property.contains("description")) p["description"] = property["description"];
        parameters.push_back(std::move(p));
    }
}

void add_path_parameters(const std::string& path, json& parameters) {
    for (std::size_t open = path.find('{'); open != std::string::npos; open = path.find('{', open + 1)) {
        auto close = path.find('}', open);
        if (close == std::string::npos) break;
        parameters.push_back(
            {{"name", path.substr(open + 1, close - open - 1)}, {"in", "path"}, {"required", true}, {"schema", {{"type", "string"}}}});
    }
}

// "Major v1 is deprecated since ... and served until ..." from the manifest's "majors".
std::string deprecation_note(const json& manifest, int major) {
    auto majors = manifest.find("majors");
    if (majors == manifest.end() || !majors->is_object()) return {};
    auto m = majors->find(std::to_string(major));
    if (m == majors->end() || !m->is_object()) return {};
    std::string note = "Deprecated: /v" + std::to_string(major) + "/ is deprecated since " + text_of(*m, "since") +
                       " and served until " + text_of(*m, "sunset") + ".";
    if (auto link = text_of(*m, "link"); !link.empty()) note += " See " + link + ".";
    return note;
}

json operation(const json& route, const std::string& module, const pipeline::route_set& routes, const json& components,
               const std::string& id) {
    const std::string method = text_of(route, "method"), path = text_of(route, "path");
    json op = json::object();
    json tags = json::array({module});
    if (auto t = route.find("tags"); t != route.end() && t->is_array())
        for (auto& tag : *t)
            if (tag.is_string() && tag != module) tags.push_back(tag);
    op["tags"] = std::move(tags);
    // Undeclared, the summary is the call itself: every operation gets a line in a listing.
    const auto summary = text_of(route, "summary");
    op["summary"] = summary.empty() ? method + " " + path : summary;
    op["operationId"] = id;
    json parameters = json::array();
    add_path_parameters(path, parameters);
    add_query_parameters(route, components, parameters);
    if (!parameters.empty()) op["parameters"] = std::move(parameters);
    if (auto schema = route.find("schema"); schema != route.end())
        op["requestBody"] = {{"required", !route.value("body_optional", false)},
                             {"content", content_for("application/json", &*schema)}};
    else if (auto takes = route.find("takes"); takes != route.end() && takes->is_string())
        op["requestBody"] = {{"required", false}, {"content", {{takes->get<std::string>(), json::object()}}}};
    json responses = declared_responses(route);
    add_host_responses(route, responses);
    op["responses"] = std::move(responses);
    if (auto auth = route.find("auth"); auth != route.end()) {
        op["security"] = json::array({{{"bearer", auth->value("scopes", json::array())}}});
    } else {
        op["security"] = json::array();  // explicitly open
    }
    auto major = pipeline::major_of(path);
    if (major) {
        auto m = routes.majors.find(*major);
        if (m != routes.majors.end() && m->second.deprecated) {
            op["deprecated"] = true;
            op["description"] = deprecation_note(routes.manifest, *major);
        }
    }
    return op;
}

}  // namespace

json module_document(const pipeline::route_set& routes, const document_source& source) {
    const json& manifest = routes.manifest;
    const json components = all_components(manifest);
    json info = {{"title", source.module}, {"version", source.version}};
    info["description"] = "The " + source.module + " module, served by the plugin " + source.plugin + " " +
                          source.version + ".";
    if (auto i = manifest.find("info"); i != manifest.end() && i->is_object()) {
        if (auto t = text_of(*i, "title"); !t.empty()) info["title"] = t;
        if (auto d = text_of(*i, "description"); !d.empty()) info["description"] = d;
    }

    // Published routes: in-process-only ones (callers) are not part of the public API.
    std::vector<const json*> published;
    if (auto r = manifest.find("routes"); r != manifest.end() && r->is_array())
        for (auto& route : *r)
            if (route.is_object() && !route.contains("callers") && openapi_methods.count(lower(text_of(route, "method"))))
                published.push_back(&route);

    // Declared ids first, so that a derived id never takes a declared one's name.
    std::set<std::string> taken;
    std::vector<std::string> ids(published.size());
    for (std::size_t i = 0; i < published.size(); ++i)
        if (auto id = text_of(*published[i], "operation_id"); !id.empty()) ids[i] = unique_id(id, taken);
    for (std::size_t i = 0; i < published.size(); ++i)
        if (ids[i].empty())
            ids[i] = unique_id(derived_operation_id(text_of(*published[i], "method"), text_of(*published[i], "path")), taken);

    json paths = json::object();
    std::set<std::string> declared_tags;
    bool uses_auth = false;
    for (std::size_t i = 0; i < published.size(); ++i) {
        const json& route = *published[i];
        auto op = operation(route, source.module, routes, components, ids[i]);
        for (auto& t : op["tags"])
            if (t != source.module) declared_tags.insert(t.get<std::string>());
        uses_auth = uses_auth || route.contains("auth");
        paths[text_of(route, "path")][lower(text_of(route, "method"))] = std::move(op);
    }

    json tags = json::array({{{"name", source.module}, {"description", "Every operation of the " + source.module + " module"}}});
    for (auto& t : declared_tags)
        tags.push_back({{"name", t}, {"description", "Operations the " + source.module + " module tags \"" + t + "\""}});

    json doc = {{"openapi", "3.1.0"}, {"info", std::move(info)}, {"servers", json::array({{{"url", "/"}, {"description", "this module's port"}}})}};
    doc["tags"] = std::move(tags);
    doc["paths"] = std::move(paths);
    doc["components"] = {{"schemas", components}};
    if (uses_auth)
        doc["components"]["securitySchemes"] = {
            {"bearer", {{"type", "http"}, {"scheme", "bearer"}, {"bearerFormat", "JWT"},
                        {"description", "A JWT issued by this host"}}}};
    return doc;
}

std::shared_ptr<const published_document> publish(const pipeline::route_set& routes, const document_source& source) {
    auto out = std::make_shared<published_document>();
    out->json = module_document(routes, source);
    out->text = document_text(out->json);
    return out;
}

std::string document_text(const json& document) {
    static const char* const order[] = {"openapi", "info", "servers", "tags", "paths", "components"};
    std::string text = "{";
    auto member = [&](const std::string& key, const json& value) {
        if (text.size() > 1) text += ',';
        text += json(key).dump() + ':' + value.dump(-1, ' ', false, json::error_handler_t::replace);
    };
    for (const char* key : order)
        if (auto it = document.find(key); it != document.end()) member(key, *it);
    for (auto& [key, value] : document.items())
        if (std::find(std::begin(order), std::end(order), key) == std::end(order)) member(key, value);
    return text + "}";
}

}  // namespace berth::host::contract
