#include "pipeline/route_contract.hpp"

#include "contract/components.hpp"
#include "contract/json_schema.hpp"
#include "http/media.hpp"
#include "pipeline/host_routes.hpp"

#include <algorithm>
#include <charconv>
#include <ctime>
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

// "YYYY-MM-DD" as Unix seconds at UTC midnight; throws naming `what` otherwise.
std::time_t utc_date(const nlohmann::json& j, const std::string& what) {
    std::tm tm{};
    int y = 0, m = 0, d = 0;
    char tail = 0;
    if (!j.is_string() || std::sscanf(j.get_ref<const std::string&>().c_str(), "%4d-%2d-%2d%c", &y, &m, &d, &tail) != 3 ||
        j.get_ref<const std::string&>().size() != 10 || y < 1970 || m < 1 || m > 12 || d < 1 || d > 31)
        throw std::invalid_argument(what + " must be a date \"YYYY-MM-DD\"");
    tm.tm_year = y - 1900;
    tm.tm_mon = m - 1;
    tm.tm_mday = d;
    return timegm(&tm);
}

std::string http_date(std::time_t t) {
    std::tm tm{};
    gmtime_r(&t, &tm);
    char buf[64];
    std::strftime(buf, sizeof buf, "%a, %d %b %Y %H:%M:%S GMT", &tm);
    return buf;
}

// The manifest's "majors": which majors are deprecated, and until when they are served.
void compile_majors(const nlohmann::json& manifest, route_set& out) {
    auto majors = manifest.find("majors");
    if (majors == manifest.end()) return;
    if (!majors->is_object()) throw std::invalid_argument("majors must be an object keyed by major number");
    for (auto& [key, m] : majors->items()) {
        const std::string where = "majors/" + key;
        std::string probe = "/v";
        probe.append(key).append("/x");  // major_of() wants a segment after the major
        auto number = major_of(probe);
        if (!number) throw std::invalid_argument(where + ": the key must be a major number from 1 to 9999");
        auto served = out.majors.find(*number);
        if (served == out.majors.end()) throw std::invalid_argument(where + ": no route is under /v" + key + "/");
        if (!m.is_object()) throw std::invalid_argument(where + " must be an object");
        if (!m.value("deprecated", false)) continue;
        auto& v = served->second;
        v.deprecated = true;
        v.deprecation = "@" + std::to_string(utc_date(m.value("since", nlohmann::json()), where + "/since"));
        v.sunset = http_date(utc_date(m.value("sunset", nlohmann::json()), where + "/sunset"));
        if (auto link = m.find("link"); link != m.end()) {
            if (!link->is_string() || link->get_ref<const std::string&>().find_first_of("<>\r\n\" ") != std::string::npos)
                throw std::invalid_argument(where + "/link must be a URI");
            v.link = link->get<std::string>();
        }
    }
}

// The route's "responses": status -> {description, schema?, media_type?}.
std::map<int, declared_response> compile_responses(const nlohmann::json& responses, const nlohmann::json& components) {
    std::map<int, declared_response> out;
    if (!responses.is_object()) throw std::invalid_argument("responses must be an object keyed by status");
    for (auto& [key, r] : responses.items()) {
        int status = 0;
        auto [p, ec] = std::from_chars(key.data(), key.data() + key.size(), status);
        if (ec != std::errc() || p != key.data() + key.size() || status < 100 || status > 599)
            throw std::invalid_argument("responses: \"" + key + "\" is not an HTTP status");
        if (!r.is_object() || !r.contains("description") || !r["description"].is_string())
            throw std::invalid_argument("responses/" + key + " needs a description");
        declared_response d;
        d.media_type = r.value("media_type", std::string("application/json"));
        if (d.media_type != "application/json" && d.media_type != "application/problem+json")
            throw std::invalid_argument("responses/" + key + "/media_type must be application/json or application/problem+json");
        if (auto schema = r.find("schema"); schema != r.end())
            d.schema = contract::json_schema::compile(contract::inline_components(*schema, components));
        out.emplace(status, std::move(d));
    }
    return out;
}

constexpr std::size_t max_routes = 1000;
constexpr std::size_t max_tags = 16;

}  // namespace

std::optional<int> major_of(std::string_view path) {
    if (path.size() < 4 || path.substr(0, 2) != "/v") return std::nullopt;
    auto slash = path.find('/', 2);
    if (slash == std::string_view::npos || slash + 1 >= path.size()) return std::nullopt;
    auto digits = path.substr(2, slash - 2);
    if (digits.empty() || digits.size() > 4 || digits[0] == '0') return std::nullopt;
    int n = 0;
    auto [p, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), n);
    if (ec != std::errc() || p != digits.data() + digits.size()) return std::nullopt;
    return n;
}

std::variant<route_set, std::string> compile_routes(const nlohmann::json& manifest) {
    if (!manifest.is_object() || !manifest.contains("routes") || !manifest["routes"].is_array())
        return std::string("the manifest is not a JSON object with a \"routes\" array");
    // Bounds on what every published document and gate comparison walks.
    if (manifest["routes"].size() > max_routes)
        return "the manifest declares more than " + std::to_string(max_routes) + " routes";
    route_set out;
    nlohmann::json components;
    try {
        components = contract::all_components(manifest);
    } catch (const std::exception& e) {
        return std::string("the manifest's ") + e.what();
    }
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
            auto major = major_of(c.path);
            if (!major) throw std::invalid_argument("the path must start with /v{major}/ (see docs/contracts.md)");
            c.major = *major;
            out.majors.try_emplace(*major);
            out.table.add(c.method, c.path, index);
            if (r.contains("takes")) {
                if (!r["takes"].is_string() || r["takes"].get_ref<const std::string&>().find('/') == std::string::npos ||
                    r["takes"].get_ref<const std::string&>().size() > 127)
                    throw std::invalid_argument("takes must be a media type such as \"text/csv\"");
                if (r.contains("schema")) throw std::invalid_argument("a route takes a schema-checked body or a raw one, not both");
                // The host reads MessagePack itself, bounded; a plugin parsing it would not be.
                if (http::is_msgpack_media_type(r["takes"].get_ref<const std::string&>()))
                    throw std::invalid_argument("takes: declare a schema for a MessagePack body; the host reads it");
                c.takes = r["takes"].get<std::string>();
            }
            if (r.contains("schema")) c.body = contract::json_schema::compile(contract::inline_components(r["schema"], components));
            if (r.contains("body_optional")) {
                if (!r["body_optional"].is_boolean() || !r.contains("schema"))
                    throw std::invalid_argument("body_optional must be true or false, beside a schema");
                c.body_optional = r["body_optional"].get<bool>();
            }
            if (r.contains("auth")) {
                c.auth = true;
                if (!r["auth"].is_object()) throw std::invalid_argument("auth must be an object");
                c.scopes = string_list(r["auth"].value("scopes", nlohmann::json::array()), "auth.scopes");
            }
            if (r.contains("callers")) c.callers = string_list(r["callers"], "callers");
            if (r.contains("tags")) {
                auto tags = string_list(r["tags"], "tags");
                if (tags.size() > max_tags || std::any_of(tags.begin(), tags.end(), [](auto& t) { return t.empty() || t.size() > 64; }))
                    throw std::invalid_argument("tags: at most 16, each of 1 to 64 characters");
            }
            if (r.contains("responses")) c.responses = compile_responses(r["responses"], components);
            if (r.contains("query")) {
                const auto query = contract::inline_components(r["query"], components);
                c.query = contract::json_schema::compile(query);
                if (auto props = query.find("properties"); props != query.end() && props->is_object())
                    for (auto& [k, v] : props->items()) c.query_types[k] = declared_type(v);
            }
        } catch (const std::exception& e) {
            return where + " (" + c.method + " " + c.path + "): " + e.what();
        }
        out.routes.push_back(std::move(c));
        ++index;
    }
    try {
        compile_majors(manifest, out);
    } catch (const std::exception& e) {
        return std::string("the manifest's ") + e.what();
    }
    for (auto& r : out.routes) r.deprecated = out.majors[r.major].deprecated;
    out.manifest = manifest;
    return out;
}

}  // namespace berth::host::pipeline
