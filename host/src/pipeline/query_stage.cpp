#include "contract/json_schema.hpp"
#include "pipeline/route_contract.hpp"
#include "pipeline/stages.hpp"

#include <charconv>

namespace berth::host::pipeline {

namespace {

// Query values arrive as text; this gives one the type the schema declares (integer, number,
// boolean) so the schema can check it, and leaves it text when it is not of that type.
nlohmann::json convert_query_value(std::string_view type, const std::string& value) {
    if (type == "integer") {
        long long v = 0;
        auto [p, ec] = std::from_chars(value.data(), value.data() + value.size(), v);
        if (ec == std::errc() && p == value.data() + value.size() && !value.empty()) return v;
    } else if (type == "number") {
        double v = 0;
        auto [p, ec] = std::from_chars(value.data(), value.data() + value.size(), v);
        if (ec == std::errc() && p == value.data() + value.size() && !value.empty()) return v;
    } else if (type == "boolean") {
        if (value == "true") return true;
        if (value == "false") return false;
    }
    return value;
}

}  // namespace

void check_query(exchange& ex) {
    const route_contract& c = *ex.route;
    if (!c.query) return;
    nlohmann::json q = nlohmann::json::object();
    for (auto& [k, v] : ex.target.query) {
        auto t = c.query_types.find(k);
        const std::string_view type = t == c.query_types.end() ? std::string_view("string") : t->second;
        if (type == "array") q[k].push_back(v);
        else if (!q.contains(k)) q[k] = convert_query_value(type, v);  // the first of repeated values
    }
    for (auto& v : c.query->validate(q))
        ex.violations.push_back({{"in", "query"}, {"pointer", v.pointer}, {"message", v.message}});
}

}  // namespace berth::host::pipeline
