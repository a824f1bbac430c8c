// Host-side HTTP messages, independent of Beast's types: net/ converts at the edge, everything
// behind it (dispatch, admin, plugins) sees only these.
#pragma once

#include <boost/beast/core/string.hpp>

#include <atomic>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace berth::host::http {

using header_list = std::vector<std::pair<std::string, std::string>>;

// Whether a request may still run. The edge abandons a request that is still waiting for a
// worker at its deadline (it has been answered 503), so it is never executed afterwards.
class admission {
public:
    bool begin() { return exchange(waiting, running); }    // worker: false if abandoned
    bool abandon() { return exchange(waiting, abandoned); }  // edge: false if already running
private:
    enum phase : int { waiting, running, abandoned };
    bool exchange(int from, int to) { return phase_.compare_exchange_strong(from, to); }
    std::atomic<int> phase_{waiting};
};

struct request {
    std::string method;
    std::string target;
    header_list headers;
    std::string body;
    std::string id;    // X-Request-Id: the client's when short and plain, else one made at the edge
    std::string peer;  // the client's address; empty for in-process calls
    std::shared_ptr<http::admission> admission;  // null for in-process calls

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

// ASCII case-insensitive equality (header names, media types): Beast's, not one of our own.
using boost::beast::iequals;

// application/json or application/<something>+json, parameters (charset) allowed.
bool is_json_media_type(std::string_view content_type);

// The name part of a Host header: "localhost:8080" -> "localhost", "[::1]:8080" -> "[::1]";
// empty for "[evil" (no "]").
std::string_view host_name(std::string_view host);

// "a, b, c" (an Allow header, a list in a problem's detail).
std::string join(const std::vector<std::string>& items, std::string_view separator = ", ");

// Canonical reason phrase for a status ("Not Found").
std::string_view reason(int status);

}  // namespace berth::host::http
