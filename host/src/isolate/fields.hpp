// Typed reads of a channel message's fields, for both ends of the isolation channel (host/src/isolate,
// host/worker) and for event fields (ops/metrics_workers.cpp). Header only: the worker links it too.
// Two ways to meet a field of the wrong type: `lenient` reads it as missing (the host: the worker is
// not trusted, and a bad answer is handled as no answer), `strict` throws bad_field (the worker: the
// host is trusted, but a bad field is answered ok:false rather than crashed on).
#pragma once

#include <nlohmann/json.hpp>

#include <cstdint>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace berth::host::isolate {

struct bad_field : std::runtime_error {
    using std::runtime_error::runtime_error;
};

enum class on_bad { lenient, strict };

using pair_list = std::vector<std::pair<std::string, std::string>>;

namespace fields_detail {

// The field, or nullptr when it is missing or null (a null reads as missing on both ends).
inline const nlohmann::json* find(const nlohmann::json& m, const char* key, on_bad bad) {
    if (!m.is_object()) {
        if (bad == on_bad::strict) throw bad_field("the message is not a map");
        return nullptr;
    }
    auto it = m.find(key);
    return it == m.end() || it->is_null() ? nullptr : &*it;
}

// Strict: throws. Lenient: the caller returns its default.
inline void wrong(const char* key, const char* what, on_bad bad) {
    if (bad == on_bad::strict) throw bad_field(std::string("field '") + key + "' is not " + what);
}

}  // namespace fields_detail

// A str; missing (or lenient and of another type): empty.
inline std::string text_field(const nlohmann::json& m, const char* key, on_bad bad = on_bad::lenient) {
    const auto* v = fields_detail::find(m, key, bad);
    if (!v) return {};
    if (!v->is_string()) return fields_detail::wrong(key, "a string", bad), std::string();
    return v->get<std::string>();
}

// A signed 64-bit integer; missing (or lenient and of another type or out of range): `otherwise`.
inline std::int64_t int_field(const nlohmann::json& m, const char* key, std::int64_t otherwise = 0,
                              on_bad bad = on_bad::lenient) {
    const auto* v = fields_detail::find(m, key, bad);
    if (!v) return otherwise;
    if (v->is_number_unsigned()) {
        const auto u = v->get<std::uint64_t>();
        if (u > static_cast<std::uint64_t>(INT64_MAX)) return fields_detail::wrong(key, "an integer in range", bad), otherwise;
        return static_cast<std::int64_t>(u);
    }
    if (!v->is_number_integer()) return fields_detail::wrong(key, "an integer", bad), otherwise;
    return v->get<std::int64_t>();
}

// A request id (positive); anything else: 0, which no request carries. Never throws.
inline std::uint64_t id_field(const nlohmann::json& m, const char* key = "id") {
    const auto* v = fields_detail::find(m, key, on_bad::lenient);
    if (!v || !v->is_number_integer()) return 0;
    if (v->is_number_unsigned()) return v->get<std::uint64_t>();
    const auto s = v->get<std::int64_t>();
    return s > 0 ? static_cast<std::uint64_t>(s) : 0;
}

// MessagePack bin (a str is accepted too); missing (or lenient and of another type): empty.
inline std::string bytes_field(const nlohmann::json& m, const char* key, on_bad bad = on_bad::lenient) {
    const auto* v = fields_detail::find(m, key, bad);
    if (!v) return {};
    if (v->is_string()) return v->get<std::string>();
    if (!v->is_binary()) return fields_detail::wrong(key, "bytes", bad), std::string();
    const auto& b = v->get_binary();
    return std::string(b.begin(), b.end());
}

// [[name, value], ...] of strs; missing (or lenient and malformed): empty.
inline pair_list pairs_field(const nlohmann::json& m, const char* key, on_bad bad = on_bad::lenient) {
    const auto* v = fields_detail::find(m, key, bad);
    pair_list out;
    if (!v) return out;
    const char* what = "a list of [name, value] pairs";
    if (!v->is_array()) return fields_detail::wrong(key, what, bad), out;
    out.reserve(v->size());
    for (const auto& p : *v) {
        if (!p.is_array() || p.size() != 2 || !p[0].is_string() || !p[1].is_string())
            return fields_detail::wrong(key, what, bad), pair_list();
        out.emplace_back(p[0].get<std::string>(), p[1].get<std::string>());
    }
    return out;
}

// A reply that says ok:true (anything else is a failure).
inline bool ok_reply(const nlohmann::json& m) {
    if (!m.is_object()) return false;
    auto it = m.find("ok");
    return it != m.end() && it->is_boolean() && it->get<bool>();
}

// The bin a message carries for `bytes`.
inline nlohmann::json binary(std::string_view bytes) {
    return nlohmann::json::binary(std::vector<std::uint8_t>(bytes.begin(), bytes.end()));
}

inline nlohmann::json pairs_json(const pair_list& pairs) {
    auto out = nlohmann::json::array();
    for (const auto& [name, value] : pairs) out.push_back({name, value});
    return out;
}

}  // namespace berth::host::isolate
