// Bounds on JSON that host and plugins share. Header-only, no dependencies.
#pragma once

#include <cstddef>
#include <string_view>

namespace berth {

// Nesting deeper than this is refused: whatever walks a document (validation, dump(), a
// handler's own recursion) recurses once per level.
inline constexpr std::size_t max_json_depth = 64;

// How deeply arrays and objects nest in JSON text (strings skipped), stopping once past `limit`.
// Linear and without recursion, so it can run before anything that recurses.
inline std::size_t json_depth(std::string_view text, std::size_t limit = max_json_depth) {
    std::size_t depth = 0, deepest = 0;
    bool in_string = false, escaped = false;
    for (char c : text) {
        if (in_string) {
            if (escaped) escaped = false;
            else if (c == '\\') escaped = true;
            else if (c == '"') in_string = false;
        } else if (c == '"') {
            in_string = true;
        } else if (c == '[' || c == '{') {
            if (++depth > deepest && (deepest = depth) > limit) break;
        } else if ((c == ']' || c == '}') && depth > 0) {
            --depth;
        }
    }
    return deepest;
}

}  // namespace berth
