#include "http/target.hpp"

namespace berth::host::http {

namespace {
int hex(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}
}  // namespace

std::optional<std::string> percent_decode(std::string_view in, bool plus_is_space) {
    std::string out;
    out.reserve(in.size());
    for (std::size_t i = 0; i < in.size(); ++i) {
        char c = in[i];
        if (c == '%') {
            if (i + 2 >= in.size()) return std::nullopt;
            int hi = hex(in[i + 1]), lo = hex(in[i + 2]);
            if (hi < 0 || lo < 0) return std::nullopt;
            out += static_cast<char>(hi * 16 + lo);
            i += 2;
        } else if (c == '+' && plus_is_space) {
            out += ' ';
        } else {
            out += c;
        }
    }
    return out;
}

std::optional<parsed_target> parse_target(std::string_view target, std::string* why) {
    auto fail = [&](const char* reason) -> std::optional<parsed_target> {
        if (why) *why = reason;
        return std::nullopt;
    };
    if (target.empty() || target.front() != '/') return fail("the request target must be an absolute path");
    auto qpos = target.find('?');
    std::string_view raw_path = target.substr(0, qpos);
    std::string_view raw_query = qpos == std::string_view::npos ? std::string_view{} : target.substr(qpos + 1);
    if (auto hash = raw_query.find('#'); hash != std::string_view::npos) raw_query = raw_query.substr(0, hash);

    parsed_target out;
    if (raw_path.size() > 1) {
        std::size_t pos = 1;
        while (true) {
            auto next = raw_path.find('/', pos);
            auto seg = raw_path.substr(pos, next == std::string_view::npos ? std::string_view::npos : next - pos);
            auto decoded = percent_decode(seg, false);
            if (!decoded) return fail("bad percent-encoding in the path");
            out.segments.push_back(std::move(*decoded));
            if (next == std::string_view::npos) break;
            pos = next + 1;
        }
    }
    for (auto& s : out.segments) out.path += "/" + s;
    if (out.path.empty()) out.path = "/";

    while (!raw_query.empty()) {
        auto amp = raw_query.find('&');
        auto part = raw_query.substr(0, amp);
        raw_query = amp == std::string_view::npos ? std::string_view{} : raw_query.substr(amp + 1);
        if (part.empty()) continue;
        auto eq = part.find('=');
        auto key = percent_decode(part.substr(0, eq), true);
        auto value = percent_decode(eq == std::string_view::npos ? std::string_view{} : part.substr(eq + 1), true);
        if (!key || !value) return fail("bad percent-encoding in the query");
        out.query.emplace_back(std::move(*key), std::move(*value));
    }
    return out;
}

}  // namespace berth::host::http
