// Host-side HTTP messages, independent of Beast: net/ converts at the edge, everything
// behind it (dispatch, admin, plugins) sees only these.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace berth::host::http {

using header_list = std::vector<std::pair<std::string, std::string>>;

struct request {
    std::string method;
    std::string target;
    header_list headers;
    std::string body;

    // First header with this name, case-insensitively; empty view if none.
    std::string_view header(std::string_view name) const;
};

struct response {
    int status = 200;
    header_list headers;
    std::string body;
    bool close = false;  // close the connection after this response

    response& set_header(std::string name, std::string value);
    std::string_view header(std::string_view name) const;
};

bool iequals(std::string_view a, std::string_view b);

// Canonical reason phrase for a status ("Not Found").
std::string_view reason(int status);

}  // namespace berth::host::http
