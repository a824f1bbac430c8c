// Text a person typed (names, reasons): trimmed of whitespace at both ends, Unicode's as well
// as ASCII's (a name of no-break or ideographic spaces is blank), and refused when nothing in it
// shows, or when it holds control characters (they would reach operators' terminals and logs)
// or bidirectional overrides (they reorder what an operator reads). The JSON Schema
// pattern \S at the edge catches ASCII blanks; this is the whole rule, in one place for the shop.
#pragma once

#include <berth/plugin.hpp>

#include <nlohmann/json.hpp>

#include <cstdint>
#include <string>
#include <string_view>

namespace berth::shop::text {

namespace detail {
// The code point starting at s[i] (s is valid UTF-8: nlohmann's parser checked it) and its length.
inline char32_t at(std::string_view s, std::size_t i, std::size_t& len) {
    const auto b = static_cast<unsigned char>(s[i]);
    if (b < 0x80) return len = 1, b;
    len = b >= 0xF0 ? 4 : b >= 0xE0 ? 3 : 2;
    if (i + len > s.size()) return len = 1, 0xFFFD;
    char32_t c = b & (0x3F >> (len - 1));
    for (std::size_t k = 1; k < len; ++k) c = (c << 6) | (static_cast<unsigned char>(s[i + k]) & 0x3F);
    return c;
}
// The start of the code point that ends at s[end - 1].
inline std::size_t start_before(std::string_view s, std::size_t end) {
    std::size_t i = end - 1;
    while (i > 0 && (static_cast<unsigned char>(s[i]) & 0xC0) == 0x80) --i;
    return i;
}
}  // namespace detail

// Unicode White_Space, plus the invisible zero-width space and byte-order mark.
inline bool is_space(char32_t c) {
    return (c >= 0x09 && c <= 0x0D) || c == 0x20 || c == 0x85 || c == 0xA0 || c == 0x1680 || (c >= 0x2000 && c <= 0x200B) ||
           c == 0x2028 || c == 0x2029 || c == 0x202F || c == 0x205F || c == 0x3000 || c == 0xFEFF;
}
// C0, DEL and C1 controls; the line and paragraph separators (line breaks in one-line text);
// and the bidirectional embeddings, overrides and isolates ("Eve\u202Egnp.exe" shows as
// "Eveexe.png"), which reorder what an operator reads.
inline bool is_control(char32_t c) {
    return c < 0x20 || (c >= 0x7F && c <= 0x9F) || c == 0x2028 || c == 0x2029 || (c >= 0x202A && c <= 0x202E) ||
           (c >= 0x2066 && c <= 0x2069);
}
// Characters that show nothing on their own: format characters (soft hyphen, joiners, word
// joiner and invisible operators, directional marks) and the Hangul and Braille blank fillers.
// Inside a name they can be right (a joiner in an emoji or an Indic word); a name of nothing else
// is blank.
inline bool is_invisible(char32_t c) {
    return is_space(c) || c == 0xAD || c == 0x034F || c == 0x061C || c == 0x115F || c == 0x1160 || c == 0x180E ||
           (c >= 0x200C && c <= 0x200F) || (c >= 0x2060 && c <= 0x2064) || c == 0x3164 || c == 0x2800 || c == 0xFFA0;
}

inline std::string trimmed(std::string_view s) {
    std::size_t begin = 0, end = s.size(), len = 0;
    while (begin < end && is_space(detail::at(s, begin, len))) begin += len;
    while (end > begin) {
        const std::size_t i = detail::start_before(s, end);
        if (!is_space(detail::at(s, i, len))) break;
        end = i;
    }
    return std::string(s.substr(begin, end - begin));
}

inline bool has_control(std::string_view s) {
    std::size_t len = 0;
    for (std::size_t i = 0; i < s.size(); i += len)
        if (is_control(detail::at(s, i, len))) return true;
    return false;
}

// Whether nothing in it shows: only whitespace (Unicode's included) and invisible characters.
inline bool blank(std::string_view s) {
    std::size_t len = 0;
    for (std::size_t i = 0; i < s.size(); i += len)
        if (!is_invisible(detail::at(s, i, len))) return false;
    return true;
}

// A 400 problem naming the body member, titled as the host's own schema refusals are.
[[noreturn]] inline void refuse(std::string_view pointer, std::string_view message) {
    throw berth::http_error(400, "Bad Request", std::string(pointer) + ": " + std::string(message),
                            {{"errors", {{{"in", "body"}, {"pointer", std::string(pointer)}, {"message", std::string(message)}}}}});
}

// The body member at `pointer` as a person's text: trimmed (a pasted trailing tab or newline
// goes with the spaces); 400 when blank, or with a control character left inside.
inline std::string clean(const std::string& value, std::string_view pointer) {
    std::string out = trimmed(value);
    if (blank(out)) refuse(pointer, "must not be blank");
    if (has_control(out)) refuse(pointer, "must not contain control or bidirectional-override characters");
    return out;
}

}  // namespace berth::shop::text
