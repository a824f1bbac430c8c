// A small blocking HTTP/1.1 client for tests: real sockets, real parsing (Beast), no mocks.
#pragma once

#include <nlohmann/json.hpp>

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace berth::test {

using header_list = std::vector<std::pair<std::string, std::string>>;

struct reply {
    int status = 0;
    header_list headers;
    std::string body;
    bool keep_alive = false;

    std::string header(const std::string& name) const;  // "" if absent; case-insensitive
    nlohmann::json json() const;                         // throws if the body is not JSON
};

// One connection, kept alive across requests.
class http_connection {
public:
    explicit http_connection(std::uint16_t port, std::chrono::milliseconds timeout = std::chrono::seconds(10));
    ~http_connection();
    reply request(const std::string& method, const std::string& target, const std::string& body = {},
                  const header_list& headers = {});
    // True when the server has closed its side (a read returns EOF).
    bool closed_by_peer();

private:
    struct impl;
    std::unique_ptr<impl> impl_;
};

// A request on a fresh connection.
reply http_request(std::uint16_t port, const std::string& method, const std::string& target,
                   const std::string& body = {}, const header_list& headers = {});

// True when GET /healthz on `port` answers 200; false when it does not or the connection fails.
bool answers_health(std::uint16_t port);

// True when nothing listens on 127.0.0.1:`port`: a connection is refused and a listener of our
// own can bind it (SO_REUSEADDR, as servers do, so closed connections in TIME_WAIT do not count).
bool port_is_released(std::uint16_t port);

inline reply post_json(std::uint16_t port, const std::string& target, const nlohmann::json& body) {
    return http_request(port, "POST", target, body.dump(), {{"Content-Type", "application/json"}});
}

// A raw connection for tests of the protocol itself (Expect: 100-continue, floods): bytes in,
// bytes out, nothing parsed.
class raw_connection {
public:
    explicit raw_connection(std::uint16_t port);
    ~raw_connection();
    void send(const std::string& bytes);
    // Reads until `marker` has arrived (returns everything read so far), the server closes, or
    // `timeout` passes; what has arrived is returned in every case.
    std::string read_until(const std::string& marker, std::chrono::milliseconds timeout = std::chrono::seconds(5));

private:
    struct impl;
    std::unique_ptr<impl> impl_;
};

// Writes raw bytes, then reads until the server closes or `timeout` passes.
std::string raw_exchange(std::uint16_t port, const std::string& bytes,
                         std::chrono::milliseconds timeout = std::chrono::seconds(5));

}  // namespace berth::test
