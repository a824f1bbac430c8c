#include "plugin/route_contract.hpp"

#include <algorithm>
#include <charconv>
#include <stdexcept>

namespace berth::host::plugin {

bool contains(const std::vector<std::string>& v, std::string_view x) {
    return std::find(v.begin(), v.end(), x) != v.end();
}

std::vector<std::string> split_scopes(std::string_view s) {
    std::vector<std::string> out;
    while (!s.empty()) {
        auto sp = s.find(' ');
        if (sp != 0) out.emplace_back(s.substr(0, sp));
        if (sp == std::string_view::npos) break;
        s.remove_prefix(sp + 1);
    }
    return out;
}

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

nlohmann::json convert_query_value(const std::string& type, const std::string& value) {
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

}  // namespace berth::host::plugin
