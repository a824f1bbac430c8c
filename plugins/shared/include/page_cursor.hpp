// Opaque page cursors for the shop's keyset-paginated lists: a small JSON array (the listing and
// sort it belongs to, then the last row's keys) in base64url. Clients pass them back as they got
// them; anything else is 400 "Bad cursor" naming the query parameter, as the host's own 400s do.
// Shared by products and payment so their cursors fail alike (plugins link berth_shop_shared).
#pragma once

#include <berth/plugin.hpp>

#include <nlohmann/json.hpp>
#include <sodium.h>

#include <string>
#include <string_view>

namespace berth::shop::page_cursor {

inline constexpr std::size_t max_bytes = 2048;

inline std::string encode(const nlohmann::json& position) {
    const std::string text = position.dump();
    std::string out(sodium_base64_ENCODED_LEN(text.size(), sodium_base64_VARIANT_URLSAFE_NO_PADDING), '\0');
    sodium_bin2base64(out.data(), out.size(), reinterpret_cast<const unsigned char*>(text.data()), text.size(),
                      sodium_base64_VARIANT_URLSAFE_NO_PADDING);
    out.resize(out.find('\0'));
    return out;
}

[[noreturn]] inline void bad(std::string_view why = "the cursor is not one this service gave; start again without it") {
    throw berth::http_error(400, "Bad cursor", std::string(why),
                            {{"errors", {{{"in", "query"}, {"pointer", "/cursor"}, {"message", std::string(why)}}}}});
}

// The JSON array a cursor holds, with its first element equal to `listing` and `size` elements.
inline nlohmann::json decode(std::string_view text, std::string_view listing, std::size_t size) {
    if (text.size() > max_bytes) bad();
    std::string raw(text.size(), '\0');
    std::size_t len = 0;
    if (sodium_base642bin(reinterpret_cast<unsigned char*>(raw.data()), raw.size(), text.data(), text.size(), nullptr,
                          &len, nullptr, sodium_base64_VARIANT_URLSAFE_NO_PADDING) != 0)
        bad();
    raw.resize(len);
    auto j = nlohmann::json::parse(raw, nullptr, false);
    if (j.is_discarded() || !j.is_array() || j.size() != size || !j[0].is_string()) bad();
    if (j[0].get<std::string>() != listing) bad("the cursor belongs to another sort order or listing; start again without it");
    return j;
}

// A positive id from a decoded cursor.
inline long long id_at(const nlohmann::json& j, std::size_t i) {
    if (!j[i].is_number_integer() || j[i].get<long long>() < 1) bad();
    return j[i].get<long long>();
}

// A string from a decoded cursor.
inline std::string text_at(const nlohmann::json& j, std::size_t i) {
    if (!j[i].is_string()) bad();
    return j[i].get<std::string>();
}

}  // namespace berth::shop::page_cursor
