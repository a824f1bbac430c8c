#include "contract/compat_schema.hpp"

#include <algorithm>
#include <cmath>
#include <optional>
#include <set>

namespace berth::host::contract {

namespace {

using nlohmann::json;
namespace kind = change_kind;

// Past this many nested schemas the comparison stops and any difference is unverifiable.
constexpr int max_depth = 32;

// Keywords whose subschemas combine in ways the gate does not reason about.
constexpr const char* composite_keywords[] = {"allOf", "anyOf", "oneOf", "not", "if", "then", "else",
                                              "patternProperties", "dependencies", "dependentRequired",
                                              "dependentSchemas", "propertyNames", "contains", "additionalItems",
                                              "unevaluatedProperties", "unevaluatedItems"};

struct bound {
    const char* key;
    bool upper;
    std::optional<double> absent;  // the value a missing keyword amounts to
};
constexpr bound bounds[] = {{"maxLength", true, {}},      {"maxItems", true, {}},       {"maxProperties", true, {}},
                            {"maximum", true, {}},        {"exclusiveMaximum", true, {}}, {"minLength", false, 0.0},
                            {"minItems", false, 0.0},     {"minProperties", false, 0.0}, {"minimum", false, {}},
                            {"exclusiveMinimum", false, {}}};

const json& empty_object() {
    static const json e = json::object();
    return e;
}

// Boolean schemas as objects: true accepts anything, false nothing.
json as_object(const json& s) {
    if (s.is_object()) return s;
    if (s.is_boolean() && !s.get<bool>()) return {{"not", json::object()}};
    return json::object();
}

const json& member(const json& s, const char* key) {
    auto it = s.find(key);
    return it == s.end() ? empty_object() : *it;
}

// Short text of a value for a message.
std::string text(const json& v) {
    auto t = v.dump(-1, ' ', false, json::error_handler_t::replace);
    return t.size() > 120 ? t.substr(0, 117) + "..." : t;
}

std::optional<std::set<std::string>> types_of(const json& s) {
    auto t = s.find("type");
    if (t == s.end()) return std::nullopt;
    std::set<std::string> out;
    if (t->is_string()) out.insert(t->get<std::string>());
    if (t->is_array())
        for (auto& x : *t)
            if (x.is_string()) out.insert(x.get<std::string>());
    return out;
}

// Whether values of type `t` are among those `set` names (an integer is a number).
bool covers(const std::set<std::string>& set, const std::string& t) {
    return set.count(t) || (t == "integer" && set.count("number"));
}

std::string join(const std::set<std::string>& s) {
    std::string out;
    for (auto& x : s) out += (out.empty() ? "" : ", ") + x;
    return out;
}

std::set<std::string> strings(const json& list) {
    std::set<std::string> out;
    if (list.is_array())
        for (auto& x : list)
            if (x.is_string()) out.insert(x.get<std::string>());
    return out;
}

std::optional<json> values_of(const json& s) {
    if (auto e = s.find("enum"); e != s.end() && e->is_array()) return *e;
    if (auto c = s.find("const"); c != s.end()) return json::array({*c});
    return std::nullopt;
}

std::optional<double> number(const json& s, const char* key) {
    auto it = s.find(key);
    if (it == s.end() || !it->is_number()) return std::nullopt;
    return it->get<double>();
}

bool differs(const json& a, const json& b, const char* key) {
    auto x = a.find(key), y = b.find(key);
    if ((x == a.end()) != (y == b.end())) return true;
    return x != a.end() && *x != *y;
}

class comparer {
public:
    comparer(const change_sink& sink, bool request, const char* noun) : sink_(sink), request_(request), noun_(noun) {}

    void compare(const json& old_in, const json& new_in, const std::string& p, int depth) {
        const json o = as_object(old_in), n = as_object(new_in);
        if (depth > max_depth) {
            if (o != n)
                sink_.add(kind::unverifiable, p,
                          "the schema changed below " + std::to_string(max_depth) + " levels of nesting, where the gate compares no further");
            return;
        }
        for (const char* k : composite_keywords)
            if ((request_ ? n.contains(k) : o.contains(k)) && differs(o, n, k))
                sink_.add(kind::unverifiable, p + "/" + k, std::string(k) + " changed; the gate cannot prove the change compatible");
        if (request_) {
            request_types(o, n, p);
            request_values(o, n, p);
            request_bounds(o, n, p);
            request_object(o, n, p, depth);
        } else {
            response_types(o, n, p);
            response_object(o, n, p, depth);
        }
        items(o, n, p, depth);
    }

private:
    void request_types(const json& o, const json& n, const std::string& p) {
        auto to = types_of(o), tn = types_of(n);
        if (!tn) return;
        if (!to) return sink_.add(kind::type_narrowed, p + "/type", "any type was accepted; now only " + join(*tn));
        std::set<std::string> lost;
        for (auto& t : *to)
            if (!covers(*tn, t)) lost.insert(t);
        if (!lost.empty())
            sink_.add(kind::type_narrowed, p + "/type", "type " + join(lost) + " is no longer accepted (now " + join(*tn) + ")");
    }

    void response_types(const json& o, const json& n, const std::string& p) {
        auto to = types_of(o), tn = types_of(n);
        if (!to) return;
        if (!tn) return sink_.add(kind::response_type_changed, p + "/type", "was " + join(*to) + "; now any type");
        std::set<std::string> added;
        for (auto& t : *tn)
            if (!covers(*to, t)) added.insert(t);
        if (!added.empty())
            sink_.add(kind::response_type_changed, p + "/type", "was " + join(*to) + "; now " + join(*tn));
    }

    void request_values(const json& o, const json& n, const std::string& p) {
        auto vn = values_of(n);
        if (!vn) return;
        const char* key = o.contains("enum") ? "enum" : o.contains("const") ? "const" : n.contains("enum") ? "enum" : "const";
        auto vo = values_of(o);
        if (!vo) return sink_.add(kind::enum_narrowed, p + "/" + key, "any value was accepted; now only " + text(*vn));
        json lost = json::array();
        for (auto& v : *vo)
            if (std::find(vn->begin(), vn->end(), v) == vn->end()) lost.push_back(v);
        if (!lost.empty()) sink_.add(kind::enum_narrowed, p + "/" + key, "no longer accepted: " + text(lost));
    }

    void request_bounds(const json& o, const json& n, const std::string& p) {
        for (auto& b : bounds) {
            auto vn = number(n, b.key);
            if (!vn) continue;
            auto vo = number(o, b.key);
            if (!vo) vo = b.absent;
            if (!vo) {
                sink_.add(kind::bound_tightened, p + "/" + b.key, std::string(b.key) + " " + text(n[b.key]) + " is new");
            } else if (b.upper ? *vn < *vo : *vn > *vo) {
                sink_.add(kind::bound_tightened, p + "/" + b.key,
                          std::string(b.key) + " " + (o.contains(b.key) ? text(o[b.key]) : text(*vo)) + " became " + text(n[b.key]));
            }
        }
        if (n.value("uniqueItems", false) && !o.value("uniqueItems", false))
            sink_.add(kind::bound_tightened, p + "/uniqueItems", "items must be unique now");
        if (auto mn = number(n, "multipleOf")) {
            auto mo = number(o, "multipleOf");
            if (!mo || *mn == 0 || std::fmod(*mo, *mn) != 0)
                sink_.add(kind::constraint_added, p + "/multipleOf", "multipleOf " + text(n["multipleOf"]) + " is new");
        }
        for (const char* k : {"pattern", "format"})
            if (n.contains(k) && differs(o, n, k))
                sink_.add(kind::constraint_added, p + "/" + k,
                          std::string(k) + " " + text(n[k]) + (o.contains(k) ? " replaced " + text(o[k]) : " is new"));
    }

    void request_object(const json& o, const json& n, const std::string& p, int depth) {
        const json& po = member(o, "properties");
        const json& pn = member(n, "properties");
        const auto ro = strings(member(o, "required")), rn = strings(member(n, "required"));
        for (auto& r : rn)
            if (!ro.count(r))
                sink_.add(kind::required_added, p + "/properties/" + pointer_token(r),
                          "'" + r + "' is a new required " + noun_);
        const json& ao = member(o, "additionalProperties");
        const json& an = member(n, "additionalProperties");
        const bool closed_o = ao.is_boolean() && !ao.get<bool>();
        const bool closed_n = an.is_boolean() && !an.get<bool>();
        if (closed_n && !closed_o)
            sink_.add(kind::additional_properties_closed, p + "/additionalProperties",
                      std::string("a ") + noun_ + " the schema does not declare is refused now");
        else if (!closed_o && !closed_n && (o.contains("additionalProperties") || n.contains("additionalProperties")))
            compare(ao, an, p + "/additionalProperties", depth + 1);
        if (!po.is_object()) return;
        for (auto& [name, so] : po.items()) {
            const std::string at = p + "/properties/" + pointer_token(name);
            if (pn.is_object() && pn.contains(name)) compare(so, pn[name], at, depth + 1);
            else if (closed_n) sink_.add(kind::request_field_removed, at, "the " + std::string(noun_) + " '" + name + "' is refused now");
            else if (an.is_object()) compare(so, an, at, depth + 1);
        }
    }

    void response_object(const json& o, const json& n, const std::string& p, int depth) {
        const json& po = member(o, "properties");
        const json& pn = member(n, "properties");
        auto in = [](const json& props, const std::string& name) { return props.is_object() && props.contains(name); };
        if (po.is_object())
            for (auto& [name, so] : po.items()) {
                const std::string at = p + "/properties/" + pointer_token(name);
                if (in(pn, name)) compare(so, pn[name], at, depth + 1);
                else sink_.add(kind::response_field_removed, at, "the field '" + name + "' is gone from the response");
            }
        const auto ro = strings(member(o, "required")), rn = strings(member(n, "required"));
        for (auto& r : ro) {
            if (rn.count(r) || (in(po, r) && !in(pn, r))) continue;  // kept, or reported gone
            sink_.add(kind::response_field_optional, p + "/properties/" + pointer_token(r),
                      "the field '" + r + "' may be absent from the response now");
        }
    }

    void items(const json& o, const json& n, const std::string& p, int depth) {
        const bool in_o = o.contains("items"), in_n = n.contains("items");
        if (!(request_ ? in_n : in_o)) return;  // a request may drop it; a response may add it
        const json& io = member(o, "items");
        const json& in = member(n, "items");
        if (io.is_array() || in.is_array()) {
            if (io != in) sink_.add(kind::unverifiable, p + "/items", "a tuple of items changed; the gate cannot prove the change compatible");
            return;
        }
        compare(io, in, p + "/items", depth + 1);
    }

    const change_sink& sink_;
    bool request_;
    const char* noun_;
};

}  // namespace

std::string pointer_token(const std::string& name) {
    std::string out;
    for (char c : name) {
        if (c == '~') out += "~0";
        else if (c == '/') out += "~1";
        else out += c;
    }
    return out;
}

void compare_request_schema(const nlohmann::json& old_schema, const nlohmann::json& new_schema,
                            const std::string& pointer, const char* noun, const change_sink& sink) {
    comparer(sink, true, noun).compare(old_schema, new_schema, pointer, 0);
}

void compare_response_schema(const nlohmann::json& old_schema, const nlohmann::json& new_schema,
                             const std::string& pointer, const change_sink& sink) {
    comparer(sink, false, "field").compare(old_schema, new_schema, pointer, 0);
}

}  // namespace berth::host::contract
