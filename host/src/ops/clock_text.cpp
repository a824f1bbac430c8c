#include "ops/clock_text.hpp"

#include <ctime>

namespace berth::host::ops {

void append_utc(std::chrono::system_clock::time_point t, std::string& out, bool milliseconds) {
    const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count();
    const std::time_t secs = static_cast<std::time_t>(ms / 1000);
    std::tm tm{};
    gmtime_r(&secs, &tm);
    char buf[40];
    const auto n = std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &tm);
    out.append(buf, n);
    if (milliseconds) {
        const int frac = static_cast<int>(ms % 1000);
        out += '.';
        out += static_cast<char>('0' + frac / 100);
        out += static_cast<char>('0' + frac / 10 % 10);
        out += static_cast<char>('0' + frac % 10);
    }
    out += 'Z';
}

std::string utc_text(std::chrono::system_clock::time_point t) {
    std::string out;
    append_utc(t, out);
    return out;
}

std::string utc_seconds_text(std::chrono::system_clock::time_point t) {
    std::string out;
    append_utc(t, out, false);
    return out;
}

}  // namespace berth::host::ops
