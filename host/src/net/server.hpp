// The HTTP edge: one io_context, its I/O threads, and the listeners on it. Beast lives in
// net/*.cpp only; callers see host-side messages (http/message.hpp).
#pragma once

#include <berth/host/config.hpp>

#include "net/http_service.hpp"

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>

namespace berth::host::net {

// A bound listening socket; it serves until closed or the server stops.
class listener_handle {
public:
    virtual ~listener_handle() = default;
    virtual std::string address() const = 0;
    virtual std::uint16_t port() const = 0;  // as actually bound
    // A live config change: connections read their next request under `next`.
    virtual void set_limits(const limits_config& next) = 0;
    // Removing or re-porting a module: stops accepting, closes idle connections, lets busy ones
    // finish their answer (then closes them) until `grace`, then closes the rest. Blocks: never
    // call it on an I/O thread. True when every connection finished in time.
    virtual bool close_and_drain(std::chrono::milliseconds grace) = 0;
};

class server {
public:
    // `max_connections`: open connections across every listener that counts toward it (all
    // but the admin listener), derived from the descriptor limit so that accept never starves
    // the databases, the admin API or a swap.
    server(unsigned io_threads, std::size_t max_connections);
    ~server();
    server(const server&) = delete;
    server& operator=(const server&) = delete;

    // Binds now; throws std::system_error naming the address on failure. Accepting starts
    // at once if the server runs, else at run(). A listener with `reserved` set does not count
    // toward the server-wide cap (the admin API stays reachable under a flood).
    std::shared_ptr<listener_handle> listen(const std::string& name, const std::string& address, std::uint16_t port,
                                            const limits_config& limits, std::shared_ptr<http_service> service,
                                            bool reserved = false);

    // Starts the I/O threads.
    void run();

    // Graceful: stop accepting, close idle connections, let in-flight requests finish
    // (their responses say Connection: close) until `grace`, then close the rest and join.
    void stop(std::chrono::milliseconds grace);

    struct impl;

private:
    std::shared_ptr<impl> impl_;
};

}  // namespace berth::host::net
