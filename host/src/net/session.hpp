// One connection: reads a request, hands it to the service, writes the answer, repeats.
// One request at a time, so pipelined requests wait in the (bounded) read buffer.
#pragma once

#include "net/listener.hpp"

#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/string_body.hpp>

#include <array>
#include <atomic>
#include <chrono>
#include <memory>
#include <optional>
#include <string>

namespace berth::host::net {

class session : public std::enable_shared_from_this<session> {
public:
    session(boost::asio::ip::tcp::socket&& socket, std::shared_ptr<listener> owner, std::string peer);
    ~session();

    void start();

    // How long a stop or a drain waits for a connection that has not sent a whole request header
    // (nothing, or part of one) before closing it: a client that never finishes its header cannot
    // hold a drain or a stop to its full deadline. Only a complete header earns the drain budget.
    static constexpr std::chrono::milliseconds header_grace{1000};

    // From server::stop and close_and_drain: an idle connection closes now, a busy one after its
    // response. `force` closes it whatever it does.
    void close_if_idle(bool force);
    // After header_grace: closes the connection unless it has a complete request header (a
    // request being served, or its body being read).
    void close_if_headless();
    // From a full listener: closes the connection if it is still waiting for a request's first byte.
    void evict();

    // Any thread: since when (steady_clock ticks) the connection has waited for a request's first
    // byte, or 0 while it is reading, serving or writing one. Eviction picks the longest idle.
    std::int64_t idle_since() const { return idle_since_.load(std::memory_order_relaxed); }
    const listener* owner() const { return owner_.get(); }

    // From the watchdog (any thread): true if a handler deadline has passed.
    bool overdue(std::chrono::steady_clock::time_point now) const;
    // Answers 503 and closes, if the request is still unanswered when this runs.
    void expire_handler();
    // From the answer queue (an I/O thread): the service's answer to request number `seq`.
    static void answer(std::shared_ptr<session> self, std::uint64_t seq, http::response r);

private:
    const limits_config& limits() const { return owner_->limits(); }

    void do_read();
    void on_header(boost::beast::error_code ec, std::size_t);
    void read_body();
    void on_read(boost::beast::error_code ec, std::size_t);
    // Read errors that deserve an answer (431, 413, 400) get one; others close.
    void on_read_error(boost::beast::error_code ec);
    void dispatch();
    void begin_request();
    // An error found while reading: answer it and close, since the stream is out of step.
    void reject(http::response r);
    void write(http::response r);
    void build(http::response r);
    void on_write(boost::beast::error_code ec, std::size_t);
    void do_close();
    // Some of a request has arrived (parsed, buffered, or waiting in the socket): at a stop
    // the request counts as accepted and is answered.
    bool receiving();
    void drain();

    boost::beast::tcp_stream stream_;
    boost::beast::flat_buffer buffer_;
    std::shared_ptr<listener> owner_;
    std::string peer_;
    // A fresh parser per request, so limits apply to each one.
    std::optional<boost::beast::http::request_parser<boost::beast::http::string_body>> parser_;
    boost::beast::http::response<boost::beast::http::string_body> res_;
    boost::beast::http::response<boost::beast::http::empty_body> continue_;
    // The request being read or served: its id, and whether it may still start.
    std::string request_id_;
    std::shared_ptr<http::admission> admission_;
    // steady_clock ticks when the unanswered request's handler is overdue; 0 when none.
    std::atomic<std::int64_t> handler_deadline_{0};
    std::atomic<std::int64_t> idle_since_{0};
    std::uint64_t seq_ = 0;
    bool waiting_ = false;  // a request is with the service and unanswered
    bool busy_ = false;     // between reading a request and finishing its response
    bool header_done_ = false;  // the current request's header is complete (until its answer is written)
    bool draining_ = false;     // answered and closing: reading what the client still sends (do_close)
    bool keep_alive_ = true;
    unsigned version_ = 11;  // the request's HTTP version, answered in kind
    bool head_ = false;      // the request was HEAD: send no body
    bool linger_ = false;    // read and discard input after a refusal, until EOF or 2 s
    std::array<char, 2048> scratch_;
};

}  // namespace berth::host::net
