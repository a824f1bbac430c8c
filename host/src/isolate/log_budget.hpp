// What a worker may put into berthd's log: its log lines arrive on the channel's reader thread,
// and the worker is not trusted, so each line is cut at max_log_line bytes and the lines are
// rate-limited (a token bucket: rate per second, with a burst); the rest are dropped and counted,
// and the count is told at most once per second.
#pragma once

#include <algorithm>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace berth::host::isolate {

inline constexpr std::size_t max_log_line = 64u << 10;

// `text` cut to max_log_line bytes at a UTF-8 character boundary, marked when cut.
inline std::string cut_log_line(std::string_view text) {
    if (text.size() <= max_log_line) return std::string(text);
    std::size_t end = max_log_line;
    while (end > 0 && (static_cast<unsigned char>(text[end]) & 0xC0) == 0x80) --end;
    return std::string(text.substr(0, end)) + " [cut at 64 KiB]";
}

class log_budget {
public:
    using clock = std::chrono::steady_clock;
    log_budget(double per_second = 200, double burst = 400) : rate_(per_second), burst_(burst), tokens_(burst) {}
    double rate() const { return rate_; }

    // Whether a line that arrives at `now` may be logged; if not it is counted as dropped.
    bool take(clock::time_point now) {
        if (last_) tokens_ = std::min(burst_, tokens_ + rate_ * std::chrono::duration<double>(now - *last_).count());
        last_ = now;
        if (tokens_ >= 1) {
            tokens_ -= 1;
            return true;
        }
        ++dropped_;
        return false;
    }

    // The lines dropped since the last report, when there are some and a second has passed since
    // it (the first report comes at once): the caller logs one warning with it.
    std::optional<std::uint64_t> report(clock::time_point now) {
        if (dropped_ == 0 || (reported_ && now - *reported_ < std::chrono::seconds(1))) return std::nullopt;
        reported_ = now;
        const auto n = dropped_;
        dropped_ = 0;
        return n;
    }

private:
    double rate_, burst_, tokens_;
    std::optional<clock::time_point> last_, reported_;
    std::uint64_t dropped_ = 0;
};

}  // namespace berth::host::isolate
