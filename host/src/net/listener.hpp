// Owns the acceptor of one port, and the caps on who may connect to it: the listener's own
// cap, one per peer address, and the server-wide one. Accept errors (EMFILE, ...) back off and
// keep accepting; refusals are logged at most once a second.
#pragma once

#include "net/server_state.hpp"

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>

#include <chrono>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>
#include <atomic>

namespace berth::host::net {

class listener : public listener_handle, public std::enable_shared_from_this<listener> {
public:
    listener(std::shared_ptr<server::impl> srv, std::string name, limits_config limits,
             std::shared_ptr<http_service> service, bool reserved);

    void bind(const std::string& address, std::uint16_t port);
    void start();
    void close();

    std::string address() const override { return bound_.address().to_string(); }
    std::uint16_t port() const override { return bound_.port(); }

    const std::shared_ptr<server::impl>& srv() const { return srv_; }
    const std::string& name() const { return name_; }
    // The limits now; a reference stays valid for the listener's life (see limits_history_).
    const limits_config& limits() const { return *limits_now_.load(std::memory_order_acquire); }
    void set_limits(const limits_config& next) override;
    bool close_and_drain(std::chrono::milliseconds grace) override;
    // close_and_drain ran: a connection closes after the answer it is writing.
    bool closing() const { return closing_.load(std::memory_order_relaxed); }
    http_service& service() { return *service_; }

    // From a session's destructor (any thread): gives back its place under the caps.
    void release(const std::string& peer);

private:
    void do_accept();
    void on_accept(boost::system::error_code ec, boost::asio::ip::tcp::socket socket);
    // Takes a place under every cap, or says which one is full.
    const char* admit(const std::string& peer);
    // Takes a place whatever the caps: for a connection that replaces an evicted one.
    void admit_anyway(const std::string& peer);
    // Closes the connection that has waited longest (at least a second) for a request: on this
    // listener, or, when the host-wide cap is what is full, on any listener that counts toward it.
    // False when there is none. A full port then still takes a new client, and whoever holds idle
    // connections cannot lock others out for the whole idle timeout.
    bool evict_idle(bool host_wide);
    bool reserved() const { return reserved_; }
    // Acceptor strand only.
    void note_refusal(const std::string& what);

    std::shared_ptr<server::impl> srv_;
    std::string name_;
    // Every limits this listener has had (a few per live reload), never freed while it lives.
    std::vector<std::unique_ptr<const limits_config>> limits_history_;  // under peers_mutex_
    std::atomic<const limits_config*> limits_now_{nullptr};
    std::atomic<bool> closing_{false};
    std::shared_ptr<http_service> service_;
    bool reserved_;  // does not count toward the server-wide cap
    boost::asio::ip::tcp::acceptor acceptor_;
    boost::asio::steady_timer backoff_;
    boost::asio::ip::tcp::endpoint bound_;

    std::mutex peers_mutex_;  // guards what follows
    std::size_t connections_ = 0;
    std::unordered_map<std::string, std::size_t> per_peer_;

    // Refusal log, rate-limited: at most one line a second, with how many were not logged.
    std::chrono::steady_clock::time_point last_report_{};
    std::size_t unreported_ = 0;
};

}  // namespace berth::host::net
