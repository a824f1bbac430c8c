#include "fields.hpp"

namespace berth::worker {

namespace {

const nlohmann::json* find(const nlohmann::json& m, const char* key) {
    if (!m.is_object()) throw bad_field("the message is not a map");
    auto it = m.find(key);
    return it == m.end() || it->is_null() ? nullptr : &*it;
}

[[noreturn]] void wrong(const char* key, const char* what) {
    throw bad_field(std::string("field '") + key + "' is not " + what);
}

}  // namespace

std::string text_field(const nlohmann::json& m, const char* key) {
    auto* v = find(m, key);
    if (!v) return {};
    if (!v->is_string()) wrong(key, "a string");
    return v->get<std::string>();
}

std::int64_t int_field(const nlohmann::json& m, const char* key, std::int64_t otherwise) {
    auto* v = find(m, key);
    if (!v) return otherwise;
    if (v->is_number_unsigned()) {
        auto u = v->get<std::uint64_t>();
        if (u > static_cast<std::uint64_t>(INT64_MAX)) wrong(key, "an integer in range");
        return static_cast<std::int64_t>(u);
    }
    if (!v->is_number_integer()) wrong(key, "an integer");
    return v->get<std::int64_t>();
}

std::string bytes_field(const nlohmann::json& m, const char* key) {
    auto* v = find(m, key);
    if (!v) return {};
    if (v->is_string()) return v->get<std::string>();
    if (!v->is_binary()) wrong(key, "bytes");
    const auto& b = v->get_binary();
    return std::string(b.begin(), b.end());
}

pair_list pairs_field(const nlohmann::json& m, const char* key) {
    auto* v = find(m, key);
    pair_list out;
    if (!v) return out;
    if (!v->is_array()) wrong(key, "a list of [name, value] pairs");
    out.reserve(v->size());
    for (const auto& p : *v) {
        if (!p.is_array() || p.size() != 2 || !p[0].is_string() || !p[1].is_string())
            wrong(key, "a list of [name, value] pairs");
        out.emplace_back(p[0].get<std::string>(), p[1].get<std::string>());
    }
    return out;
}

nlohmann::json binary(const std::string& bytes) {
    return nlohmann::json::binary(std::vector<std::uint8_t>(bytes.begin(), bytes.end()));
}

nlohmann::json pairs_json(const pair_list& pairs) {
    auto out = nlohmann::json::array();
    for (const auto& [name, value] : pairs) out.push_back({name, value});
    return out;
}

}  // namespace berth::worker
