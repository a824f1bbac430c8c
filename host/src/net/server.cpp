#include "net/server.hpp"

#include "http/problem.hpp"

#include <boost/asio/bind_executor.hpp>
#include <boost/asio/dispatch.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <spdlog/spdlog.h>

#include <array>
#include <atomic>
#include <condition_variable>
#include <mutex>
#include <thread>
#include <unordered_map>
#include <vector>

namespace berth::host::net {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
using tcp = asio::ip::tcp;

class session;

struct server::impl {
    // Heap-held so ~server can destroy it (and the handlers that keep sessions alive) first.
    std::unique_ptr<asio::io_context> ioc = std::make_unique<asio::io_context>();
    std::optional<asio::executor_work_guard<asio::io_context::executor_type>> work;
    std::vector<std::thread> threads;
    unsigned thread_count;
    std::atomic<bool> stopping{false};  // no new connections or requests; grace period running
    std::atomic<bool> halted{false};    // the grace period is over

    // Requests read but not yet answered, across all listeners; stop() waits on it.
    std::mutex mutex;
    std::condition_variable idle;
    std::size_t in_flight = 0;
    std::unordered_map<session*, std::weak_ptr<session>> sessions;
    std::vector<std::weak_ptr<listener>> listeners;
    // Ticks every watchdog_period and answers handlers past their deadline: one timer for
    // the server instead of one armed and cancelled per request.
    std::unique_ptr<asio::steady_timer> watchdog;
    static constexpr std::chrono::milliseconds watchdog_period{50};

    void arm_watchdog();

    explicit impl(unsigned n) : thread_count(n == 0 ? 1 : n) {}

    void request_started() {
        std::lock_guard lock(mutex);
        ++in_flight;
    }
    void request_finished() {
        std::lock_guard lock(mutex);
        if (--in_flight == 0) idle.notify_all();
    }
};

namespace {
void fail(beast::error_code ec, const char* what, const std::string& name) {
    if (ec == asio::error::operation_aborted || ec == beast::error::timeout || ec == asio::error::eof ||
        ec == asio::error::connection_reset || ec == asio::error::broken_pipe)
        return;
    spdlog::debug("[{}] {}: {}", name, what, ec.message());
}
}  // namespace

// Owns the acceptor of one port. Accept errors (EMFILE, ...) back off and keep accepting.
class listener : public listener_handle, public std::enable_shared_from_this<listener> {
public:
    listener(std::shared_ptr<server::impl> srv, std::string name, limits_config limits,
             std::shared_ptr<http_service> service)
        : srv_(std::move(srv)),
          name_(std::move(name)),
          limits_(limits),
          service_(std::move(service)),
          acceptor_(asio::make_strand(*srv_->ioc)),
          backoff_(acceptor_.get_executor()) {}

    void bind(const std::string& address, std::uint16_t port) {
        beast::error_code ec;
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

    void start() {
        asio::dispatch(acceptor_.get_executor(), [self = shared_from_this()] { self->do_accept(); });
    }
    void close() {
        asio::post(acceptor_.get_executor(), [self = shared_from_this()] {
            beast::error_code ignored;
            self->acceptor_.close(ignored);
            self->backoff_.cancel();
        });
    }

    std::string address() const override { return bound_.address().to_string(); }
    std::uint16_t port() const override { return bound_.port(); }
    std::size_t connections() const override { return connections_.load(); }

    const std::shared_ptr<server::impl>& srv() const { return srv_; }
    const std::string& name() const { return name_; }
    const limits_config& limits() const { return limits_; }
    http_service& service() { return *service_; }
    std::atomic<std::size_t>& connection_count() { return connections_; }

private:
    void do_accept() {
        // Each connection gets its own strand: sessions must not serialise on the acceptor's.
        acceptor_.async_accept(asio::make_strand(*srv_->ioc),
                               beast::bind_front_handler(&listener::on_accept, shared_from_this()));
    }
    void on_accept(beast::error_code ec, tcp::socket socket);

    std::shared_ptr<server::impl> srv_;
    std::string name_;
    limits_config limits_;
    std::shared_ptr<http_service> service_;
    tcp::acceptor acceptor_;
    asio::steady_timer backoff_;
    tcp::endpoint bound_;
    std::atomic<std::size_t> connections_{0};
};

// One connection: reads a request, hands it to the service, writes the answer, repeats.
// One request at a time, so pipelined requests wait in the (bounded) read buffer.
class session : public std::enable_shared_from_this<session> {
public:
    session(tcp::socket&& socket, std::shared_ptr<listener> owner)
        : stream_(std::move(socket)), owner_(std::move(owner)) {
        ++owner_->connection_count();
    }
    ~session() {
        --owner_->connection_count();
        std::lock_guard lock(owner_->srv()->mutex);
        owner_->srv()->sessions.erase(this);
        if (owner_->srv()->sessions.empty()) owner_->srv()->idle.notify_all();
    }

    void start() {
        {
            std::lock_guard lock(owner_->srv()->mutex);
            owner_->srv()->sessions.emplace(this, weak_from_this());
        }
        asio::dispatch(stream_.get_executor(), beast::bind_front_handler(&session::do_read, shared_from_this()));
    }

    // From server::stop: an idle connection closes now, a busy one after its response.
    void close_if_idle(bool force) {
        asio::post(stream_.get_executor(), [self = shared_from_this(), force] {
            if (!self->busy_ || force) {
                beast::error_code ignored;
                self->stream_.socket().shutdown(tcp::socket::shutdown_both, ignored);
                self->stream_.close();
            }
        });
    }

private:
    const limits_config& limits() const { return owner_->limits(); }

    void do_read() {
        if (owner_->srv()->stopping) return do_close();
        parser_.emplace();
        parser_->header_limit(static_cast<std::uint32_t>(limits().header_limit_bytes));
        parser_->body_limit(limits().body_limit_bytes);
        stream_.expires_after(std::chrono::milliseconds(limits().read_timeout_ms));
        bhttp::async_read(stream_, buffer_, *parser_, beast::bind_front_handler(&session::on_read, shared_from_this()));
    }

    void on_read(beast::error_code ec, std::size_t) {
        if (ec == bhttp::error::end_of_stream || ec == bhttp::error::partial_message) return do_close();
        if (ec == bhttp::error::header_limit)
            return reject(431, "the request header is larger than " + std::to_string(limits().header_limit_bytes) + " bytes");
        if (ec == bhttp::error::body_limit)
            return reject(413, "the request body is larger than " + std::to_string(limits().body_limit_bytes) + " bytes");
        if (ec) {
            if (ec.category() == bhttp::make_error_code(bhttp::error::bad_target).category())
                return reject(400, "malformed HTTP request: " + ec.message());
            fail(ec, "read", owner_->name());
            return;  // timeout or socket error: the stream is closed by dropping the session
        }

        auto req = parser_->release();
        keep_alive_ = req.keep_alive();
        version_ = req.version();
        head_ = req.method() == bhttp::verb::head;
        http::request out;
        out.method = std::string(req.method_string());
        out.target = std::string(req.target());
        out.headers.reserve(8);
        for (auto const& field : req) out.headers.emplace_back(std::string(field.name_string()), std::string(field.value()));
        out.body = std::move(req.body());

        begin_request();
        const auto seq = ++seq_;
        handler_deadline_.store((std::chrono::steady_clock::now() + std::chrono::milliseconds(limits().handler_timeout_ms))
                                    .time_since_epoch()
                                    .count(),
                                std::memory_order_relaxed);
        waiting_ = true;
        owner_->service().handle(std::move(out), [self = shared_from_this(), seq](http::response r) {
            asio::post(self->stream_.get_executor(), [self, seq, r = std::move(r)]() mutable {
                if (seq != self->seq_ || !self->waiting_) return;  // already answered by the deadline
                self->waiting_ = false;
                self->handler_deadline_.store(0, std::memory_order_relaxed);
                self->write(std::move(r));
            });
        });
    }

public:
    // From the watchdog (any thread): true if a handler deadline has passed.
    bool overdue(std::chrono::steady_clock::time_point now) const {
        auto d = handler_deadline_.load(std::memory_order_relaxed);
        return d != 0 && d <= now.time_since_epoch().count();
    }
    // Answers 503 and closes, if the request is still unanswered when this runs.
    void expire_handler() {
        asio::post(stream_.get_executor(), [self = shared_from_this()] {
            if (!self->waiting_ || !self->overdue(std::chrono::steady_clock::now())) return;
            self->waiting_ = false;
            self->handler_deadline_.store(0, std::memory_order_relaxed);
            spdlog::warn("[{}] handler exceeded {} ms; answering 503 and closing the connection", self->owner_->name(),
                         self->limits().handler_timeout_ms);
            auto r = http::problem(503, "the request handler did not finish within its deadline");
            r.close = true;
            self->write(std::move(r));
        });
    }

private:
    void begin_request() {
        busy_ = true;
        owner_->srv()->request_started();
    }

    // An error found while reading: answer it and close, since the stream is out of step.
    void reject(int status, const std::string& detail) {
        keep_alive_ = false;
        linger_ = true;
        begin_request();
        auto r = http::problem(status, detail);
        r.close = true;
        write(std::move(r));
    }

    void write(http::response r) {
        try {
            build(std::move(r));
        } catch (const std::exception& e) {
            // A response Beast refuses to serialise (a body on 204/304, an oversized header):
            // the client gets a 500, the host stays up.
            spdlog::error("[{}] unsendable response: {}", owner_->name(), e.what());
            auto fallback = http::problem(500, "the module produced a response that cannot be sent");
            fallback.close = true;
            build(std::move(fallback));
        }
        stream_.expires_after(std::chrono::milliseconds(limits().write_timeout_ms));
        bhttp::async_write(stream_, res_, beast::bind_front_handler(&session::on_write, shared_from_this()));
    }

    void build(http::response r) {
        res_ = {};
        res_.version(version_);
        res_.result(static_cast<unsigned>(r.status));
        for (auto& [k, v] : r.headers) res_.insert(k, v);
        res_.set(bhttp::field::server, "berth");
        res_.body() = std::move(r.body);
        res_.keep_alive(keep_alive_ && !r.close && !owner_->srv()->stopping);
        res_.prepare_payload();
        if (head_) res_.body().clear();  // HEAD: the headers (Content-Length included), no body
    }

    void on_write(beast::error_code ec, std::size_t) {
        busy_ = false;
        owner_->srv()->request_finished();
        if (ec) return fail(ec, "write", owner_->name());
        if (!res_.keep_alive()) return do_close();
        do_read();
    }

    void do_close() {
        beast::error_code ignored;
        stream_.socket().shutdown(tcp::socket::shutdown_send, ignored);
        if (linger_) {
            // The client may still be sending what we refused; closing with unread input
            // would reset the connection and could destroy our answer before it is read.
            stream_.expires_after(std::chrono::seconds(2));
            drain();
        }
    }

    void drain() {
        stream_.async_read_some(asio::buffer(scratch_), [self = shared_from_this()](beast::error_code ec, std::size_t) {
            if (!ec) self->drain();
        });
    }

    beast::tcp_stream stream_;
    beast::flat_buffer buffer_;
    std::shared_ptr<listener> owner_;
    // A fresh parser per request, so limits apply to each one.
    std::optional<bhttp::request_parser<bhttp::string_body>> parser_;
    bhttp::response<bhttp::string_body> res_;
    // steady_clock ticks when the unanswered request's handler is overdue; 0 when none.
    std::atomic<std::int64_t> handler_deadline_{0};
    std::uint64_t seq_ = 0;
    bool waiting_ = false;  // a request is with the service and unanswered
    bool busy_ = false;     // between reading a request and finishing its response
    bool keep_alive_ = true;
    unsigned version_ = 11;  // the request's HTTP version, answered in kind
    bool head_ = false;      // the request was HEAD: send no body
    bool linger_ = false;  // read and discard input after a refusal, until EOF or 2 s
    std::array<char, 2048> scratch_;
};

void listener::on_accept(beast::error_code ec, tcp::socket socket) {
    if (ec == asio::error::operation_aborted || !acceptor_.is_open()) return;
    if (ec) {
        // EMFILE and friends: keep the listener alive, try again shortly.
        spdlog::warn("[{}] accept failed: {}; retrying", name_, ec.message());
        backoff_.expires_after(std::chrono::milliseconds(50));
        backoff_.async_wait([self = shared_from_this()](beast::error_code tec) {
            if (!tec) self->do_accept();
        });
        return;
    }
    if (srv_->stopping) return;
    if (connections_.load() >= limits_.max_connections) {
        spdlog::warn("[{}] connection cap {} reached; closing a new connection", name_, limits_.max_connections);
        beast::error_code ignored;
        socket.close(ignored);
    } else {
        beast::error_code ignored;
        socket.set_option(tcp::no_delay(true), ignored);
        std::make_shared<session>(std::move(socket), shared_from_this())->start();
    }
    do_accept();
}

void server::impl::arm_watchdog() {
    watchdog->expires_after(watchdog_period);
    watchdog->async_wait([this](beast::error_code ec) {
        if (ec || halted) return;
        const auto now = std::chrono::steady_clock::now();
        std::vector<std::shared_ptr<session>> overdue;
        {
            std::lock_guard lock(mutex);
            for (auto& [raw, weak] : sessions)
                if (raw->overdue(now))
                    if (auto s = weak.lock()) overdue.push_back(std::move(s));
        }
        for (auto& s : overdue) s->expire_handler();
        arm_watchdog();
    });
}

server::server(unsigned io_threads) : impl_(std::make_shared<impl>(io_threads)) {}

server::~server() {
    stop(std::chrono::milliseconds(0));
    // Destroying the io_context destroys pending handlers, releasing the sessions they hold.
    impl_->watchdog.reset();
    impl_->ioc.reset();
}

std::shared_ptr<listener_handle> server::listen(const std::string& name, const std::string& address,
                                                std::uint16_t port, const limits_config& limits,
                                                std::shared_ptr<http_service> service) {
    auto l = std::make_shared<listener>(impl_, name, limits, std::move(service));
    l->bind(address, port);
    {
        std::lock_guard lock(impl_->mutex);
        impl_->listeners.push_back(l);
    }
    l->start();
    return l;
}

void server::run() {
    if (!impl_->threads.empty()) return;
    impl_->work.emplace(impl_->ioc->get_executor());
    impl_->watchdog = std::make_unique<asio::steady_timer>(*impl_->ioc);
    impl_->arm_watchdog();
    for (unsigned i = 0; i < impl_->thread_count; ++i) impl_->threads.emplace_back([ioc = impl_->ioc.get()] { ioc->run(); });
}

void server::stop(std::chrono::milliseconds grace) {
    if (impl_->stopping.exchange(true)) return;
    std::vector<std::shared_ptr<listener>> listeners;
    std::vector<std::shared_ptr<session>> sessions;
    {
        std::lock_guard lock(impl_->mutex);
        for (auto& w : impl_->listeners)
            if (auto l = w.lock()) listeners.push_back(l);
        for (auto& [_, w] : impl_->sessions)
            if (auto s = w.lock()) sessions.push_back(s);
    }
    for (auto& l : listeners) l->close();
    for (auto& s : sessions) s->close_if_idle(false);
    sessions.clear();
    {
        std::unique_lock lock(impl_->mutex);
        if (!impl_->threads.empty()) impl_->idle.wait_for(lock, grace, [&] { return impl_->in_flight == 0; });
        for (auto& [_, w] : impl_->sessions)
            if (auto s = w.lock()) sessions.push_back(s);
    }
    impl_->halted = true;
    for (auto& s : sessions) s->close_if_idle(true);
    sessions.clear();
    {
        // Let the I/O threads run the forced closes before they stop.
        std::unique_lock lock(impl_->mutex);
        if (!impl_->threads.empty())
            impl_->idle.wait_for(lock, std::chrono::milliseconds(200), [&] { return impl_->sessions.empty(); });
    }
    impl_->work.reset();
    impl_->ioc->stop();
    for (auto& t : impl_->threads) t.join();
    impl_->threads.clear();
}

}  // namespace berth::host::net
