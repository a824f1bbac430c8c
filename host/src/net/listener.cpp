#include "net/listener.hpp"

#include "net/session.hpp"

#include <boost/asio/dispatch.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/strand.hpp>
#include <boost/beast/core/bind_handler.hpp>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <future>
#include <thread>

namespace berth::host::net {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;

listener::listener(std::shared_ptr<server::impl> srv, std::string name, limits_config limits,
                   std::shared_ptr<http_service> service, bool reserved)
    : srv_(std::move(srv)),
      name_(std::move(name)),
      service_(std::move(service)),
      reserved_(reserved),
      acceptor_(asio::make_strand(*srv_->ioc)),
      backoff_(acceptor_.get_executor()) {
    limits_history_.push_back(std::make_unique<const limits_config>(limits));
    limits_now_.store(limits_history_.back().get(), std::memory_order_release);
}

void listener::set_limits(const limits_config& next) {
    std::lock_guard lock(peers_mutex_);
    limits_history_.push_back(std::make_unique<const limits_config>(next));
    limits_now_.store(limits_history_.back().get(), std::memory_order_release);
}

bool listener::close_and_drain(std::chrono::milliseconds grace) {
    closing_ = true;
    // The acceptor closes on its strand; wait for it, so that the port is free when this returns.
    auto closed = std::make_shared<std::promise<void>>();
    asio::post(acceptor_.get_executor(), [self = shared_from_this(), closed] {
        boost::system::error_code ignored;
        self->acceptor_.close(ignored);
        self->backoff_.cancel();
        closed->set_value();
    });
    closed->get_future().wait_for(std::chrono::seconds(1));  // bounded: the I/O threads may be stopping
    auto mine = [this] {
        std::vector<std::shared_ptr<session>> out;
        std::lock_guard lock(srv_->mutex);
        for (auto& [raw, weak] : srv_->sessions)
            if (raw->owner() == this)
                if (auto s = weak.lock()) out.push_back(std::move(s));
        return out;
    };
    for (auto& s : mine()) s->close_if_idle(false);
    // Sessions leave the server's map as they go; a short poll keeps this off the I/O threads.
    // A connection without a complete request header gets session::header_grace, not `grace`.
    const auto start = std::chrono::steady_clock::now();
    const auto deadline = start + grace;
    const auto headless_at = start + std::min(grace, std::chrono::milliseconds(session::header_grace));
    bool headless_closed = false;
    for (;;) {
        if (mine().empty()) return true;
        const auto now = std::chrono::steady_clock::now();
        if (now >= deadline) break;
        if (!headless_closed && now >= headless_at) {
            headless_closed = true;
            for (auto& s : mine()) s->close_if_headless();
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    for (auto& s : mine()) s->close_if_idle(true);
    const auto forced = std::chrono::steady_clock::now() + std::chrono::milliseconds(200);
    while (!mine().empty() && std::chrono::steady_clock::now() < forced)
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
    return false;
}

void listener::bind(const std::string& address, std::uint16_t port) {
    boost::system::error_code ec;
    auto addr = asio::ip::make_address(address == "localhost" ? "127.0.0.1" : address, ec);
    if (ec) throw std::system_error(ec, "address '" + address + "'");
    tcp::endpoint ep(addr, port);
    acceptor_.open(ep.protocol());
    acceptor_.set_option(asio::socket_base::reuse_address(true));
    acceptor_.bind(ep, ec);
    if (ec) throw std::system_error(ec, "bind " + address + ":" + std::to_string(port));
    acceptor_.listen(asio::socket_base::max_listen_connections, ec);
    if (ec) throw std::system_error(ec, "listen " + address + ":" + std::to_string(port));
    bound_ = acceptor_.local_endpoint();
}

void listener::start() {
    asio::dispatch(acceptor_.get_executor(), [self = shared_from_this()] { self->do_accept(); });
}

void listener::close() {
    asio::post(acceptor_.get_executor(), [self = shared_from_this()] {
        boost::system::error_code ignored;
        self->acceptor_.close(ignored);
        self->backoff_.cancel();
    });
}

void listener::do_accept() {
    // With several I/O threads each connection gets its own strand (sessions must not serialise
    // on the acceptor's). With one, the io_context is already serial: a strand would only add
    // a reference count to every executor copy of every operation (5% of a request's CPU).
    auto executor = srv_->thread_count == 1 ? asio::any_io_executor(srv_->ioc->get_executor())
                                            : asio::any_io_executor(asio::make_strand(*srv_->ioc));
    acceptor_.async_accept(executor, boost::beast::bind_front_handler(&listener::on_accept, shared_from_this()));
}

constexpr const char* host_wide_cap = "the host-wide connection cap";

const char* listener::admit(const std::string& peer) {
    std::lock_guard lock(peers_mutex_);
    if (connections_ >= limits().max_connections) return "the listener's connection cap";
    auto& mine = per_peer_[peer];
    if (mine >= limits().max_connections_per_peer) {
        if (mine == 0) per_peer_.erase(peer);
        return "the per-peer connection cap";
    }
    if (!reserved_ && srv_->counted_connections.fetch_add(1) >= srv_->max_connections) {
        --srv_->counted_connections;
        if (mine == 0) per_peer_.erase(peer);
        return host_wide_cap;
    }
    ++mine;
    ++connections_;
    return nullptr;
}

void listener::admit_anyway(const std::string& peer) {
    std::lock_guard lock(peers_mutex_);
    ++per_peer_[peer];
    ++connections_;
    if (!reserved_) ++srv_->counted_connections;
}

bool listener::evict_idle(bool host_wide) {
    // A connection idle for less than this may be a client that just connected and is sending.
    constexpr auto min_idle = std::chrono::seconds(1);
    const auto threshold = (std::chrono::steady_clock::now() - min_idle).time_since_epoch().count();
    std::shared_ptr<session> victim;
    std::int64_t oldest = threshold;
    {
        std::lock_guard lock(srv_->mutex);
        for (auto& [raw, weak] : srv_->sessions) {
            const auto since = raw->idle_since();
            const bool candidate = raw->owner() == this || (host_wide && !raw->owner()->reserved());
            if (!candidate || since == 0 || since > oldest) continue;
            if (auto s = weak.lock()) {
                victim = std::move(s);
                oldest = since;
            }
        }
    }
    if (!victim) return false;
    victim->evict();
    return true;
}

void listener::release(const std::string& peer) {
    std::lock_guard lock(peers_mutex_);
    --connections_;
    if (!reserved_) --srv_->counted_connections;
    if (auto it = per_peer_.find(peer); it != per_peer_.end() && --it->second == 0) per_peer_.erase(it);
}

void listener::note_refusal(const std::string& what) {
    const auto now = std::chrono::steady_clock::now();
    if (now - last_report_ < std::chrono::seconds(1)) {
        ++unreported_;
        return;
    }
    if (unreported_)
        spdlog::warn("[{}] {} (and {} more refusals in the last second)", name_, what, unreported_);
    else
        spdlog::warn("[{}] {}", name_, what);
    unreported_ = 0;
    last_report_ = now;
}

void listener::on_accept(boost::system::error_code ec, tcp::socket socket) {
    if (ec == asio::error::operation_aborted || !acceptor_.is_open()) return;
    if (ec) {
        // EMFILE and friends: keep the listener alive, try again shortly.
        note_refusal("accept failed: " + ec.message() + "; retrying");
        backoff_.expires_after(std::chrono::milliseconds(50));
        backoff_.async_wait([self = shared_from_this()](boost::system::error_code tec) {
            if (!tec) self->do_accept();
        });
        return;
    }
    if (srv_->stopping) return;
    boost::system::error_code peer_ec;
    std::string peer = socket.remote_endpoint(peer_ec).address().to_string();
    if (peer_ec) peer = "unknown";
    const char* full = admit(peer);
    if (full && evict_idle(full == host_wide_cap)) {
        note_refusal(std::string(full) + " is reached: closed the longest-idle connection for one from " + peer);
        admit_anyway(peer);
        full = nullptr;
    }
    if (full) {
        note_refusal(std::string("closing a new connection from ") + peer + ": " + full + " is reached");
        boost::system::error_code ignored;
        socket.close(ignored);
    } else {
        boost::system::error_code ignored;
        socket.set_option(tcp::no_delay(true), ignored);
        std::make_shared<session>(std::move(socket), shared_from_this(), std::move(peer))->start();
    }
    do_accept();
}

}  // namespace berth::host::net
