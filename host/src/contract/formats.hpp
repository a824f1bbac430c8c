// The JSON Schema `format` values Berth checks, by hand-written linear scanners (no regex):
// RFC 3339 full-date, full-time and date-time with real range checks, and a simple email.
#pragma once

#include <optional>
#include <string_view>

namespace berth::host::contract {

enum class format_kind { date, time, date_time, email };

// The kind for a format name, or nullopt for a format that is only an annotation (draft-07).
std::optional<format_kind> known_format(std::string_view name);

const char* format_name(format_kind kind);

bool matches_format(format_kind kind, std::string_view value);

}  // namespace berth::host::contract
