// A request target (origin-form: path and query) parsed and percent-decoded by Boost.URL.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace berth::host::http {

struct parsed_target {
    std::string path;                   // decoded
    std::vector<std::string> segments;  // decoded, one per "/" part; "/" alone has none
    std::vector<std::pair<std::string, std::string>> query;  // decoded ("+" is a space), in order
};

// nullopt when the target is not an origin-form URI (RFC 9112 3.2.1: an absolute path and an
// optional query, with valid percent-encoding); `why` then says what is wrong.
std::optional<parsed_target> parse_target(std::string_view target, std::string* why = nullptr);

}  // namespace berth::host::http
