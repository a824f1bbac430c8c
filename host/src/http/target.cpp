#include "http/target.hpp"

#include <boost/url/parse.hpp>
#include <boost/url/url_view.hpp>
// Boost.URL in Debian's Boost 1.81 ships no compiled library: this is its one translation unit.
#include <boost/url/src.hpp>

namespace berth::host::http {

std::optional<parsed_target> parse_target(std::string_view target, std::string* why) {
    auto parsed = boost::urls::parse_origin_form(target);
    if (!parsed) {
        // In our words: a public port never shows a library's text.
        if (why)
            *why = target.empty() || target.front() != '/'
                       ? "the request target must be an absolute path"
                       : "the request target is not a valid URI path and query: a bad percent-escape, or a "
                         "character that must be percent-encoded";
        return std::nullopt;
    }
    const boost::urls::url_view& url = *parsed;
    parsed_target out;
    auto segments = url.segments();
    out.segments.reserve(segments.size());
    for (auto s : segments) {
        out.path += '/';
        out.path += s;
        out.segments.push_back(std::move(s));
    }
    if (out.path.empty()) out.path = "/";
    for (auto p : url.params()) {
        if (p.key.empty() && !p.has_value) continue;  // "a=1&&b=2"
        out.query.emplace_back(std::move(p.key), std::move(p.value));
    }
    return out;
}

}  // namespace berth::host::http
