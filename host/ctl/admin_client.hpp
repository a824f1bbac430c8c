// berthctl's HTTP client for the admin API: one request per connection, bounded in time and size.
#pragma once

#include <chrono>
#include <cstddef>
#include <stdexcept>
#include <string>

namespace berth::ctl {

// Where the admin API is: only plain http (it listens on loopback; see docs/operations.md).
struct admin_url {
    std::string host;     // as written, without brackets for IPv6
    std::string port = "80";
    std::string prefix;   // a path the API is mounted under behind a proxy, without trailing '/'
    std::string host_header;
};

// Throws std::invalid_argument with a reason a user can act on.
admin_url parse_admin_url(const std::string& text);
// "localhost" or a loopback address: the token does not leave the machine over plain http.
bool loopback_host(const std::string& host);

// No usable answer: the connection failed, timed out, or what came back was not HTTP or too big.
struct unreachable : std::runtime_error {
    using std::runtime_error::runtime_error;
};

struct answer {
    int status = 0;
    std::string content_type;
    std::string body;
    bool ok() const { return status >= 200 && status < 300; }
};

class admin_client {
public:
    // Answers larger than this are refused (a confused or hostile peer cannot fill memory).
    static constexpr std::size_t max_answer_bytes = 16 * 1024 * 1024;

    admin_client(admin_url url, std::string token, std::chrono::milliseconds timeout);

    // GET/HEAD send no body; every other method sends `json_body` with Content-Type
    // application/json (the admin API wants it even when the body is "{}").
    answer call(const std::string& method, const std::string& target, const std::string& json_body = "{}") const;
    answer get(const std::string& target) const { return call("GET", target); }

    const admin_url& url() const { return url_; }
    bool has_token() const { return !token_.empty(); }

private:
    admin_url url_;
    std::string token_;  // never printed, never logged
    std::chrono::milliseconds timeout_;
};

// A path segment percent-encoded (a module name is plain, but a typo must not become a path).
std::string path_segment(const std::string& s);

}  // namespace berth::ctl
