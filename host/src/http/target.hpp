// Splitting a request target into decoded path segments and query parameters.
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
    std::vector<std::pair<std::string, std::string>> query;  // decoded, in order
};

// nullopt when the target is not origin-form or has bad percent-encoding; `why` says which.
std::optional<parsed_target> parse_target(std::string_view target, std::string* why = nullptr);

// Percent-decoding; `plus_is_space` for query components. nullopt on a bad escape.
std::optional<std::string> percent_decode(std::string_view in, bool plus_is_space);

}  // namespace berth::host::http
