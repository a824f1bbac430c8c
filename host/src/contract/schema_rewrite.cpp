#include "contract/schema_rewrite.hpp"

#include "contract/formats.hpp"

#include <re2/re2.h>

#include <map>
#include <stdexcept>
#include <string>

namespace berth::host::contract {

namespace {

constexpr std::int64_t max_pattern_memory = 4 << 20;  // per compiled pattern; RE2 falls back, never fails a match
constexpr std::int64_t max_unique_items = 10000;       // uniqueItems compares all pairs: bound n first

// Keywords whose value is one subschema, a map of subschemas or a list of subschemas.
const char* const single_keywords[] = {"additionalProperties", "additionalItems", "contains", "propertyNames",
                                       "not", "if", "then", "else"};
const char* const map_keywords[] = {"properties", "definitions", "$defs", "dependencies"};
const char* const list_keywords[] = {"allOf", "anyOf", "oneOf"};
// Size limits checked first; an oversize value is not looked into.
const char* const gate_keywords[] = {"maxLength", "maxItems", "maxProperties"};
// What stays beside the gate: annotations and what $ref pointers lead into.
const char* const kept_keywords[] = {"definitions", "$defs", "$id", "$schema", "$comment", "title",
                                     "description", "default", "examples", "readOnly", "writeOnly"};

template <std::size_t n>
bool among(const std::string& key, const char* const (&list)[n]) {
    for (const char* k : list)
        if (key == k) return true;
    return false;
}

class rewriter {
public:
    rewritten_schema run(const nlohmann::json& schema) {
        rewritten_schema out;
        out.schema = node(schema);
        out.patterns = std::move(patterns_);
        return out;
    }

private:
    std::vector<std::shared_ptr<const re2::RE2>> patterns_;
    std::map<std::string, std::size_t> index_;

    std::size_t pattern(const nlohmann::json& value) {
        if (!value.is_string()) throw std::invalid_argument("pattern must be a string");
        const auto& text = value.get_ref<const std::string&>();
        if (auto it = index_.find(text); it != index_.end()) return it->second;
        re2::RE2::Options options;
        options.set_log_errors(false);
        options.set_max_mem(max_pattern_memory);
        auto re = std::make_shared<const re2::RE2>(text, options);
        if (!re->ok())
            throw std::invalid_argument("pattern \"" + text + "\" cannot be used: " + re->error() +
                                        " (patterns are checked with RE2: no backreferences or lookaround)");
        patterns_.push_back(std::move(re));
        return index_[text] = patterns_.size() - 1;
    }

    // Recursion follows the schema's nesting (trusted, from a manifest), never a document's.
    nlohmann::json node(const nlohmann::json& in) {
        if (!in.is_object()) return in;
        nlohmann::json out = nlohmann::json::object();
        for (auto& [key, value] : in.items()) {
            if (key == "patternProperties")
                throw std::invalid_argument("patternProperties is not supported; use propertyNames with a pattern");
            if (key.rfind("x-berth-", 0) == 0) throw std::invalid_argument("keyword " + key + " is reserved");
            if (key == "pattern") {
                out[pattern_keyword] = static_cast<std::int64_t>(pattern(value));
            } else if (key == "format") {
                // Unknown formats are annotations (draft-07); known ones are checked without regex.
                if (value.is_string() && known_format(value.get_ref<const std::string&>())) out[format_keyword] = value;
            } else if (among(key, single_keywords)) {
                out[key] = node(value);
            } else if (key == "items" && value.is_array()) {
                out[key] = nlohmann::json::array();
                for (auto& v : value) out[key].push_back(node(v));
            } else if (key == "items") {
                out[key] = node(value);
            } else if (among(key, map_keywords) && value.is_object()) {
                out[key] = nlohmann::json::object();
                for (auto& [name, v] : value.items()) out[key][name] = node(v);
            } else if (among(key, list_keywords) && value.is_array()) {
                out[key] = nlohmann::json::array();
                for (auto& v : value) out[key].push_back(node(v));
            } else {
                out[key] = value;
            }
        }
        check_unique_items(out);
        if (out.contains("$ref")) return out;  // Valijson ignores a $ref's siblings
        out[budget_keyword] = true;
        return gate(std::move(out));
    }

    static void check_unique_items(const nlohmann::json& s) {
        auto u = s.find("uniqueItems");
        if (u == s.end() || *u != true) return;
        auto m = s.find("maxItems");
        if (m == s.end() || !m->is_number_integer() || m->get<std::int64_t>() > max_unique_items)
            throw std::invalid_argument("uniqueItems needs a maxItems of at most " + std::to_string(max_unique_items) +
                                        " beside it");
    }

    // {maxItems, items, ...} -> {if: {maxItems}, then: {items, ...}, else: {maxItems}}.
    static nlohmann::json gate(nlohmann::json s) {
        nlohmann::json limits = nlohmann::json::object();
        for (const std::string k : gate_keywords)
            if (auto it = s.find(k); it != s.end()) limits[k == "maxLength" ? max_length_keyword : k] = *it;
        if (limits.empty()) return s;
        nlohmann::json out = nlohmann::json::object();
        nlohmann::json rest = nlohmann::json::object();
        for (auto& [key, value] : s.items()) {
            if (among(key, gate_keywords)) continue;
            (among(key, kept_keywords) || key == budget_keyword ? out : rest)[key] = value;
        }
        out["if"] = limits;
        out["then"] = std::move(rest);
        out["else"] = std::move(limits);
        return out;
    }
};

}  // namespace

rewritten_schema rewrite_schema(const nlohmann::json& schema) { return rewriter{}.run(schema); }

}  // namespace berth::host::contract
