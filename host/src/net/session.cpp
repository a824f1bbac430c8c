#include "net/session.hpp"

#include "http/problem.hpp"
#include "http/request_id.hpp"

#include <boost/asio/dispatch.hpp>
#include <boost/asio/post.hpp>
#include <boost/beast/core/bind_handler.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/write.hpp>
#include <spdlog/spdlog.h>

namespace berth::host::net {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
using tcp = asio::ip::tcp;

namespace {

void fail(beast::error_code ec, const char* what, const std::string& name) {
    if (ec == asio::error::operation_aborted || ec == beast::error::timeout || ec == asio::error::eof ||
        ec == asio::error::connection_reset || ec == asio::error::broken_pipe)
        return;
    spdlog::debug("[{}] {}: {}", name, what, ec.message());
}

bool is_http_error(beast::error_code ec) {
    return ec.category() == bhttp::make_error_code(bhttp::error::bad_target).category();
}

}  // namespace

session::session(tcp::socket&& socket, std::shared_ptr<listener> owner, std::string peer)
    : stream_(std::move(socket)), owner_(std::move(owner)), peer_(std::move(peer)) {}

session::~session() {
    owner_->release(peer_);
    std::lock_guard lock(owner_->srv()->mutex);
    owner_->srv()->sessions.erase(this);
    if (owner_->srv()->sessions.empty()) owner_->srv()->idle.notify_all();
}

void session::start() {
    {
        std::lock_guard lock(owner_->srv()->mutex);
        owner_->srv()->sessions.emplace(this, weak_from_this());
    }
    asio::dispatch(stream_.get_executor(), beast::bind_front_handler(&session::do_read, shared_from_this()));
}

void session::close_if_idle(bool force) {
    asio::post(stream_.get_executor(), [self = shared_from_this(), force] {
        if (force || (!self->busy_ && !self->receiving())) {
            beast::error_code ignored;
            self->stream_.socket().shutdown(tcp::socket::shutdown_both, ignored);
            self->stream_.close();
        }
    });
}

void session::close_if_headless() {
    asio::post(stream_.get_executor(), [self = shared_from_this()] {
        if (self->busy_ || self->header_done_ || self->draining_) return;
        beast::error_code ignored;
        self->stream_.socket().shutdown(tcp::socket::shutdown_both, ignored);
        self->stream_.close();
    });
}

bool session::receiving() {
    if (buffer_.size() > 0 || (parser_ && parser_->got_some() && !parser_->is_done())) return true;
    beast::error_code ec;
    const auto pending = stream_.socket().available(ec);
    return !ec && pending > 0;
}

void session::evict() {
    asio::post(stream_.get_executor(), [self = shared_from_this()] {
        if (self->busy_ || self->idle_since_.load(std::memory_order_relaxed) == 0) return;
        beast::error_code ignored;
        self->stream_.socket().shutdown(tcp::socket::shutdown_both, ignored);
        self->stream_.close();
    });
}

void session::do_read() {
    if (owner_->srv()->stopping || owner_->closing()) return do_close();
    header_done_ = false;
    parser_.emplace();
    parser_->header_limit(static_cast<std::uint32_t>(limits().header_limit_bytes));
    parser_->body_limit(limits().body_limit_bytes);
    stream_.expires_after(std::chrono::milliseconds(limits().read_timeout_ms));
    // Idle only if nothing of the next request is buffered yet (a pipelined one may be).
    idle_since_.store(buffer_.size() ? 0 : std::chrono::steady_clock::now().time_since_epoch().count(),
                      std::memory_order_relaxed);
    bhttp::async_read_header(stream_, buffer_, *parser_,
                             beast::bind_front_handler(&session::on_header, shared_from_this()));
}

void session::on_read_error(beast::error_code ec) {
    if (ec == bhttp::error::end_of_stream || ec == bhttp::error::partial_message) return do_close();
    if (request_id_.empty()) request_id_ = http::request_id_for({});
    if (ec == bhttp::error::header_limit)
        return reject(http::problem(431, "the request header is larger than " +
                                             std::to_string(limits().header_limit_bytes) + " bytes"));
    if (ec == bhttp::error::body_limit)
        return reject(http::problem(413, "the request body is larger than " +
                                             std::to_string(limits().body_limit_bytes) + " bytes"));
    if (is_http_error(ec)) return reject(http::problem(400, "the request is not well-formed HTTP/1.1"));
    fail(ec, "read", owner_->name());  // timeout or socket error: dropping the session closes it
}

void session::on_header(beast::error_code ec, std::size_t) {
    idle_since_.store(0, std::memory_order_relaxed);
    request_id_.clear();
    if (ec) return on_read_error(ec);
    header_done_ = true;
    auto& head = parser_->get();
    keep_alive_ = head.keep_alive();
    version_ = head.version();
    head_ = head.method() == bhttp::verb::head;
    request_id_ = http::request_id_for(head["X-Request-Id"]);

    const bool expects_continue =
        version_ >= 11 && http::iequals(head[bhttp::field::expect], "100-continue") && !parser_->is_done();
    if (!expects_continue) return read_body();
    http::request probe;
    probe.method = std::string(head.method_string());
    probe.target = std::string(head.target());
    for (auto const& field : head) probe.headers.emplace_back(std::string(field.name_string()), std::string(field.value()));
    probe.id = request_id_;
    probe.peer = peer_;
    std::optional<http::response> refusal;
    try {
        refusal = owner_->service().check_head(probe);
    } catch (const std::exception& e) {
        spdlog::error("[{}] request {}: checking the header failed: {}", owner_->name(), request_id_, e.what());
        refusal = http::problem(500, "the host failed while checking the request");
    }
    if (refusal) return reject(std::move(*refusal));
    // The client waits for this before it sends the body.
    continue_ = {bhttp::status::continue_, version_};
    stream_.expires_after(std::chrono::milliseconds(limits().write_timeout_ms));
    bhttp::async_write(stream_, continue_, [self = shared_from_this()](beast::error_code wec, std::size_t) {
        if (wec) return fail(wec, "write 100 Continue", self->owner_->name());
        self->stream_.expires_after(std::chrono::milliseconds(self->limits().read_timeout_ms));
        self->read_body();
    });
}

void session::read_body() {
    if (parser_->is_done()) return on_read({}, 0);
    bhttp::async_read(stream_, buffer_, *parser_, beast::bind_front_handler(&session::on_read, shared_from_this()));
}

void session::on_read(beast::error_code ec, std::size_t) {
    if (ec) return on_read_error(ec);
    dispatch();
}

void session::dispatch() {
    auto req = parser_->release();
    http::request out;
    out.method = std::string(req.method_string());
    out.target = std::string(req.target());
    out.headers.reserve(8);
    for (auto const& field : req) out.headers.emplace_back(std::string(field.name_string()), std::string(field.value()));
    out.body = std::move(req.body());
    out.id = request_id_;
    out.peer = peer_;
    admission_ = std::make_shared<http::admission>();
    out.admission = admission_;

    begin_request();
    const auto seq = ++seq_;
    handler_deadline_.store((std::chrono::steady_clock::now() + std::chrono::milliseconds(limits().handler_timeout_ms))
                                .time_since_epoch()
                                .count(),
                            std::memory_order_relaxed);
    waiting_ = true;
    auto done = [self = shared_from_this(), seq](http::response r) mutable {
        auto& answers = self->owner_->srv()->answers;
        answers.push(std::move(self), seq, std::move(r));
    };
    try {
        owner_->service().handle(std::move(out), std::move(done));
    } catch (const std::exception& e) {
        // A service that throws instead of answering: the client gets a 500, the host stays up.
        spdlog::error("[{}] request {} failed in the host: {}", owner_->name(), request_id_, e.what());
        if (!waiting_) return;
        waiting_ = false;
        handler_deadline_.store(0, std::memory_order_relaxed);
        write(http::problem(500, "the host failed while handling the request"));
    }
}

void session::answer(std::shared_ptr<session> self, std::uint64_t seq, http::response r) {
    auto ex = self->stream_.get_executor();
    asio::dispatch(ex, [self = std::move(self), seq, r = std::move(r)]() mutable {
        if (seq != self->seq_ || !self->waiting_) return;  // already answered by the deadline
        self->waiting_ = false;
        self->handler_deadline_.store(0, std::memory_order_relaxed);
        self->write(std::move(r));
    });
}

bool session::overdue(std::chrono::steady_clock::time_point now) const {
    auto d = handler_deadline_.load(std::memory_order_relaxed);
    return d != 0 && d <= now.time_since_epoch().count();
}

void session::expire_handler() {
    asio::post(stream_.get_executor(), [self = shared_from_this()] {
        if (!self->waiting_ || !self->overdue(std::chrono::steady_clock::now())) return;
        self->waiting_ = false;
        self->handler_deadline_.store(0, std::memory_order_relaxed);
        // Not started yet: it never will be, so a client's retry cannot apply it twice.
        const bool never_ran = self->admission_ && self->admission_->abandon();
        spdlog::warn("[{}] request {} {} within {} ms; answering 503 and closing the connection", self->owner_->name(),
                     self->request_id_, never_ran ? "was not started" : "did not finish",
                     self->limits().handler_timeout_ms);
        auto r = http::problem(503, never_ran ? "the module could not start this request within its deadline; "
                                                "it was not executed"
                                              : "the request handler did not finish within its deadline");
        r.close = true;
        self->write(std::move(r));
    });
}

void session::begin_request() {
    busy_ = true;
    owner_->srv()->request_started();
}

void session::reject(http::response r) {
    keep_alive_ = false;
    linger_ = true;
    begin_request();
    r.close = true;
    write(std::move(r));
}

void session::write(http::response r) {
    try {
        build(std::move(r));
    } catch (const std::exception& e) {
        // A response Beast refuses to serialise (a body on 204/304, an oversized header):
        // the client gets a 500, the host stays up.
        spdlog::error("[{}] request {}: unsendable response: {}", owner_->name(), request_id_, e.what());
        auto fallback = http::problem(500, "the module produced a response that cannot be sent");
        fallback.close = true;
        build(std::move(fallback));
    }
    stream_.expires_after(std::chrono::milliseconds(limits().write_timeout_ms));
    bhttp::async_write(stream_, res_, beast::bind_front_handler(&session::on_write, shared_from_this()));
}

void session::build(http::response r) {
    res_ = {};
    res_.version(version_);
    res_.result(static_cast<unsigned>(r.status));
    for (auto& [k, v] : r.headers) {
        // Last line of defence against a split response: the host and the ABI bridge build
        // headers that never hold a line break; one that does is dropped, not written.
        if (v.find_first_of("\r\n") != std::string::npos || k.find_first_of("\r\n: ") != std::string::npos) {
            spdlog::error("request {}: a header that cannot be sent was dropped", request_id_);
            continue;
        }
        res_.insert(k, v);
    }
    res_.set("X-Request-Id", request_id_);  // every answer carries the request's id, the host's
    res_.set(bhttp::field::server, "berth");
    res_.body() = std::move(r.body);
    res_.keep_alive(keep_alive_ && !r.close && !owner_->srv()->stopping && !owner_->closing());
    res_.prepare_payload();
    if (head_) res_.body().clear();  // HEAD: the headers (Content-Length included), no body
}

void session::on_write(beast::error_code ec, std::size_t) {
    busy_ = false;
    header_done_ = false;
    owner_->srv()->request_finished();
    if (ec) return fail(ec, "write", owner_->name());
    if (!res_.keep_alive()) return do_close();
    do_read();
}

void session::do_close() {
    beast::error_code ignored;
    stream_.socket().shutdown(tcp::socket::shutdown_send, ignored);
    if (linger_ || (owner_->srv()->stopping && receiving())) {
        // The client may still be sending what we refused (or, at a stop, a next request we
        // will not read); closing with unread input would reset the connection and could
        // destroy our answer before it is read.
        stream_.expires_after(std::chrono::seconds(2));
        draining_ = true;
        drain();
    }
}

void session::drain() {
    stream_.async_read_some(asio::buffer(scratch_), [self = shared_from_this()](beast::error_code ec, std::size_t) {
        if (!ec) self->drain();
    });
}

}  // namespace berth::host::net
