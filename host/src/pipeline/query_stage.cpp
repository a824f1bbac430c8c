#include "contract/json_schema.hpp"
#include "pipeline/route_contract.hpp"
#include "pipeline/stages.hpp"

namespace berth::host::pipeline {

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
