// UTC times as text, one way for the whole host: log lines, events, the admin API's JSON and
// the audit log.
#pragma once

#include <chrono>
#include <string>

namespace berth::host::ops {

// Appends 2026-11-28T12:00:00.123Z (or 2026-11-28T12:00:00Z without `milliseconds`).
void append_utc(std::chrono::system_clock::time_point t, std::string& out, bool milliseconds = true);

// 2026-11-28T12:00:00.123Z: log lines, events and times in admin API answers.
std::string utc_text(std::chrono::system_clock::time_point t);

// 2026-11-28T12:00:00Z: the audit log's time (whole seconds).
std::string utc_seconds_text(std::chrono::system_clock::time_point t);

}  // namespace berth::host::ops
