#include "http/media.hpp"

#include "http/message.hpp"

#include <charconv>

namespace berth::host::http {

namespace {

std::string_view trim(std::string_view s) {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
    return s;
}

// The q parameter of one Accept member, in thousandths (1000 when absent; 0 when malformed,
// which makes the member not acceptable rather than an error).
int quality(std::string_view params) {
    while (!params.empty()) {
        auto semi = params.find(';');
        auto param = trim(params.substr(0, semi));
        params = semi == std::string_view::npos ? std::string_view() : params.substr(semi + 1);
        if (param.size() < 2 || (param[0] != 'q' && param[0] != 'Q') || param[1] != '=') continue;
        auto value = param.substr(2);
        double q = 0;
        auto [p, ec] = std::from_chars(value.data(), value.data() + value.size(), q);
        if (ec != std::errc() || p != value.data() + value.size() || !(q >= 0 && q <= 1)) return 0;  // NaN too
        return static_cast<int>(q * 1000 + 0.5);
    }
    return 1000;
}

}  // namespace

std::string_view media_type_of(std::string_view content_type) {
    return trim(content_type.substr(0, content_type.find(';')));
}

bool is_msgpack_media_type(std::string_view ct) {
    auto media = media_type_of(ct);
    return iequals(media, "application/msgpack") || iequals(media, "application/x-msgpack") ||
           iequals(media, "application/vnd.msgpack");
}

std::optional<body_format> preferred_format(std::string_view accept) {
    if (trim(accept).empty()) return body_format::json;
    int json_q = -1, msgpack_q = -1;  // -1: not named; a specific type outranks a wildcard
    int json_wild = -1, msgpack_wild = -1;
    while (!accept.empty()) {
        auto comma = accept.find(',');
        auto member = accept.substr(0, comma);
        accept = comma == std::string_view::npos ? std::string_view() : accept.substr(comma + 1);
        auto semi = member.find(';');
        auto media = trim(member.substr(0, semi));
        const int q = quality(semi == std::string_view::npos ? std::string_view() : member.substr(semi + 1));
        if (is_json_media_type(media)) json_q = std::max(json_q, q);
        else if (is_msgpack_media_type(media)) msgpack_q = std::max(msgpack_q, q);
        else if (media == "*/*" || iequals(media, "application/*")) {
            json_wild = std::max(json_wild, q);
            msgpack_wild = std::max(msgpack_wild, q);
        }
    }
    const int json = json_q >= 0 ? json_q : json_wild;
    const int msgpack = msgpack_q >= 0 ? msgpack_q : msgpack_wild;
    if (json <= 0 && msgpack <= 0) return std::nullopt;
    return msgpack > json ? body_format::msgpack : body_format::json;
}

}  // namespace berth::host::http
