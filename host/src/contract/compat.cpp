#include "contract/compat.hpp"

#include "contract/compat_schema.hpp"
#include "contract/components.hpp"
#include "pipeline/route_contract.hpp"

#include <algorithm>
#include <map>
#include <set>
#include <string_view>

namespace berth::host::contract {

namespace {

using nlohmann::json;
namespace kind = change_kind;

// "GET /v1/items/{}": an operation's identity; a renamed path parameter is the same operation.
std::string operation_key(const std::string& method, const std::string& path) {
    std::string out = method + " ";
    bool in_param = false;
    for (char c : path) {
        if (c == '{') {
            in_param = true;
            out += "{}";
        } else if (c == '}') {
            in_param = false;
        } else if (!in_param) {
            out += c;
        }
    }
    return out;
}

const json& routes_of(const json& manifest) {
    static const json none = json::array();
    if (!manifest.is_object()) return none;
    auto r = manifest.find("routes");
    return r != manifest.end() && r->is_array() ? *r : none;
}

std::string text_of(const json& route, const char* key) {
    auto it = route.find(key);
    return it != route.end() && it->is_string() ? it->get<std::string>() : std::string();
}

json components_of(const json& manifest) {
    try {
        return all_components(manifest);
    } catch (const std::exception&) {
        return json::object({{"Problem", problem_schema()}});  // a compiled manifest never gets here
    }
}

// The manifest's schema with its references inlined; as declared when one cannot be (a
// compiled manifest's always can).
json inlined(const json& schema, const json& components) {
    try {
        return inline_components(schema, components);
    } catch (const std::exception&) {
        return schema;
    }
}

std::vector<std::string> string_list(const json& j) {
    std::vector<std::string> out;
    if (j.is_array())
        for (auto& x : j)
            if (x.is_string()) out.push_back(x.get<std::string>());
    return out;
}

bool is_success(const std::string& status) { return status.size() == 3 && status[0] == '2'; }

class operation_comparer {
public:
    operation_comparer(const json& o, const json& n, const json& components_o, const json& components_n,
                       const change_sink& sink)
        : o_(o), n_(n), co_(components_o), cn_(components_n), sink_(sink) {}

    void run() {
        request();
        query();
        responses();
        auth();
        callers();
    }

private:
    void request() {
        // A raw body (route::takes): its media type is all a client relies on.
        const auto took = text_of(o_, "takes"), takes = text_of(n_, "takes");
        if (!took.empty() && takes != took)
            return sink_.add(takes.empty() && !n_.contains("schema") ? kind::request_body_removed : kind::type_narrowed,
                             "/request", "the operation took a " + took + " body; it takes " +
                                             (takes.empty() ? (n_.contains("schema") ? "a schema-checked one" : "none")
                                                            : takes) + " now");
        if (took.empty() && !takes.empty() && !o_.contains("schema"))
            return sink_.add(kind::required_added, "/request", "the operation requires a " + takes + " body now");
        const bool had = o_.contains("schema"), has = n_.contains("schema");
        const bool optional_now = n_.value("body_optional", false) == true;
        if (!had && has && !optional_now)
            return sink_.add(kind::required_added, "/request", "the operation requires a request body now");
        if (had && o_.value("body_optional", false) == true && !optional_now)
            sink_.add(kind::required_added, "/request", "the operation requires its request body now (it was optional)");
        if (had && !has) return sink_.add(kind::request_body_removed, "/request", "the operation refuses a request body now");
        if (had) compare_request_schema(inlined(o_["schema"], co_), inlined(n_["schema"], cn_), "/request", "field", sink_);
    }

    // Without a query schema the host passes any query: an open object.
    void query() {
        if (!o_.contains("query") && !n_.contains("query")) return;
        static const json open = {{"type", "object"}};
        compare_request_schema(o_.contains("query") ? inlined(o_["query"], co_) : open,
                               n_.contains("query") ? inlined(n_["query"], cn_) : open, "/query", "query parameter", sink_);
    }

    void responses() {
        auto ro = o_.find("responses");
        if (ro == o_.end() || !ro->is_object()) return;
        static const json none = json::object();
        auto rn_it = n_.find("responses");
        const json& rn = rn_it != n_.end() && rn_it->is_object() ? *rn_it : none;
        for (auto& [status, declared] : ro->items()) {
            if (!is_success(status) || !declared.is_object()) continue;
            const std::string at = "/responses/" + status;
            auto now = rn.find(status);
            if (now == rn.end() || !now->is_object()) {
                sink_.add(kind::status_removed, at, "the operation no longer answers " + status);
                continue;
            }
            const auto media_o = declared.value("media_type", std::string("application/json"));
            const auto media_n = now->value("media_type", std::string("application/json"));
            if (media_o != media_n)
                sink_.add(kind::response_type_changed, at + "/media_type", "was " + media_o + "; now " + media_n);
            if (!declared.contains("schema")) continue;
            if (!now->contains("schema")) {
                sink_.add(kind::response_field_removed, at, "the " + status + " response declares no body now");
                continue;
            }
            compare_response_schema(inlined(declared["schema"], co_), inlined((*now)["schema"], cn_), at, sink_);
        }
    }

    void auth() {
        if (!n_.contains("auth")) return;
        if (!o_.contains("auth")) return sink_.add(kind::auth_added, "/auth", "the operation needs a bearer token now");
        const auto so = string_list(o_["auth"].is_object() ? o_["auth"].value("scopes", json::array()) : json());
        const auto sn = string_list(n_["auth"].is_object() ? n_["auth"].value("scopes", json::array()) : json());
        for (std::size_t i = 0; i < sn.size(); ++i)
            if (std::find(so.begin(), so.end(), sn[i]) == so.end())
                sink_.add(kind::scope_added, "/auth/scopes/" + std::to_string(i), "the token needs the scope '" + sn[i] + "' now");
    }

    // Only listed modules may call an operation that lists callers; HTTP clients none.
    void callers() {
        const auto cn = string_list(n_.value("callers", json()));
        if (cn.empty()) return;
        const auto co = string_list(o_.value("callers", json()));
        if (co.empty()) return sink_.add(kind::callers_restricted, "/callers", "only listed modules may call the operation now");
        for (std::size_t i = 0; i < co.size(); ++i)
            if (std::find(cn.begin(), cn.end(), co[i]) == cn.end())
                sink_.add(kind::callers_restricted, "/callers/" + std::to_string(i),
                          "the module '" + co[i] + "' may no longer call the operation");
    }

    const json& o_;
    const json& n_;
    const json& co_;
    const json& cn_;
    const change_sink& sink_;
};

}  // namespace

std::vector<breaking_change> breaking_changes(const nlohmann::json& old_manifest, const nlohmann::json& new_manifest) {
    std::vector<breaking_change> out;
    std::map<std::string, const json*> now;
    std::set<int> majors;
    for (auto& r : routes_of(new_manifest)) {
        const auto method = text_of(r, "method"), path = text_of(r, "path");
        now.emplace(operation_key(method, path), &r);
        if (auto m = pipeline::major_of(path)) majors.insert(*m);
    }
    const json components_o = components_of(old_manifest), components_n = components_of(new_manifest);
    for (auto& r : routes_of(old_manifest)) {
        const auto method = text_of(r, "method"), path = text_of(r, "path");
        auto major = pipeline::major_of(path);
        if (!major || !majors.count(*major)) continue;  // a major the new build drops: served by the old
        const change_sink sink{out, method, path};
        auto n = now.find(operation_key(method, path));
        if (n == now.end()) {
            sink.add(kind::operation_removed, "",
                     "the new build no longer serves " + method + " " + path + " in major " + std::to_string(*major));
            continue;
        }
        operation_comparer(r, *n->second, components_o, components_n, sink).run();
    }
    return out;
}

nlohmann::json to_json(const breaking_change& c) {
    return {{"kind", c.kind}, {"method", c.method}, {"path", c.path}, {"pointer", c.pointer}, {"message", c.message}};
}

}  // namespace berth::host::contract
