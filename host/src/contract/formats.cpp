#include "contract/formats.hpp"

#include <cstddef>

namespace berth::host::contract {

namespace {

// Reads exactly `n` ASCII digits at `pos`; advances `pos` on success.
bool digits(std::string_view s, std::size_t& pos, std::size_t n, int& out) {
    if (pos > s.size() || s.size() - pos < n) return false;
    int v = 0;
    for (std::size_t i = 0; i < n; ++i) {
        char c = s[pos + i];
        if (c < '0' || c > '9') return false;
        v = v * 10 + (c - '0');
    }
    out = v;
    pos += n;
    return true;
}

bool literal(std::string_view s, std::size_t& pos, char a, char b = '\0') {
    if (pos >= s.size() || (s[pos] != a && (b == '\0' || s[pos] != b))) return false;
    ++pos;
    return true;
}

bool leap(int y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }

int days_in(int year, int month) {
    static const int days[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    return month == 2 && leap(year) ? 29 : days[month - 1];
}

// full-date = date-fullyear "-" date-month "-" date-mday
bool full_date(std::string_view s, std::size_t& pos) {
    int y = 0, m = 0, d = 0;
    return digits(s, pos, 4, y) && literal(s, pos, '-') && digits(s, pos, 2, m) && m >= 1 && m <= 12 &&
           literal(s, pos, '-') && digits(s, pos, 2, d) && d >= 1 && d <= days_in(y, m);
}

// full-time = partial-time time-offset; seconds may be 60 (a leap second).
bool full_time(std::string_view s, std::size_t& pos) {
    int h = 0, mi = 0, sec = 0;
    if (!(digits(s, pos, 2, h) && h <= 23 && literal(s, pos, ':') && digits(s, pos, 2, mi) && mi <= 59 &&
          literal(s, pos, ':') && digits(s, pos, 2, sec) && sec <= 60))
        return false;
    if (pos < s.size() && s[pos] == '.') {
        std::size_t start = ++pos;
        while (pos < s.size() && s[pos] >= '0' && s[pos] <= '9') ++pos;
        if (pos == start) return false;
    }
    if (literal(s, pos, 'Z', 'z')) return true;
    int oh = 0, om = 0;
    return literal(s, pos, '+', '-') && digits(s, pos, 2, oh) && oh <= 23 && literal(s, pos, ':') &&
           digits(s, pos, 2, om) && om <= 59;
}

bool date(std::string_view s) {
    std::size_t pos = 0;
    return full_date(s, pos) && pos == s.size();
}

bool time(std::string_view s) {
    std::size_t pos = 0;
    return full_time(s, pos) && pos == s.size();
}

bool date_time(std::string_view s) {
    std::size_t pos = 0;
    return full_date(s, pos) && literal(s, pos, 'T', 't') && full_time(s, pos) && pos == s.size();
}

bool space_or_control(unsigned char c) { return c <= 0x20 || c == 0x7f; }

// Deliberately simple: local@domain, one '@', no spaces or controls, a dot inside the domain.
bool email(std::string_view s) {
    if (s.size() > 254) return false;
    auto at = s.find('@');
    if (at == std::string_view::npos || at == 0 || s.find('@', at + 1) != std::string_view::npos) return false;
    for (unsigned char c : s)
        if (space_or_control(c)) return false;
    std::string_view domain = s.substr(at + 1);
    auto dot = domain.find('.');
    return dot != std::string_view::npos && dot != 0 && domain.back() != '.' &&
           domain.find("..") == std::string_view::npos;
}

}  // namespace

std::optional<format_kind> known_format(std::string_view name) {
    if (name == "date") return format_kind::date;
    if (name == "time") return format_kind::time;
    if (name == "date-time") return format_kind::date_time;
    if (name == "email") return format_kind::email;
    return std::nullopt;
}

const char* format_name(format_kind kind) {
    switch (kind) {
    case format_kind::date: return "date";
    case format_kind::time: return "time";
    case format_kind::date_time: return "date-time";
    case format_kind::email: return "email";
    }
    return "?";
}

bool matches_format(format_kind kind, std::string_view value) {
    switch (kind) {
    case format_kind::date: return date(value);
    case format_kind::time: return time(value);
    case format_kind::date_time: return date_time(value);
    case format_kind::email: return email(value);
    }
    return false;
}

}  // namespace berth::host::contract
