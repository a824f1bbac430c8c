#include "support/http_client.hpp"

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>


namespace berth::test {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = beast::http;
using tcp = asio::ip::tcp;

std::string reply::header(const std::string& name) const {
    for (auto& [k, v] : headers)
        if (beast::iequals(k, name)) return v;
    return {};
}

nlohmann::json reply::json() const { return nlohmann::json::parse(body); }

struct http_connection::impl {
    asio::io_context ioc;
    beast::tcp_stream stream{ioc};
    beast::flat_buffer buffer;
    std::chrono::milliseconds timeout;
};

http_connection::http_connection(std::uint16_t port, std::chrono::milliseconds timeout)
    : impl_(std::make_unique<impl>()) {
    impl_->timeout = timeout;
    impl_->stream.expires_after(timeout);
    impl_->stream.connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), port));
}

http_connection::~http_connection() {
    beast::error_code ignored;
    impl_->stream.socket().shutdown(tcp::socket::shutdown_both, ignored);
}

reply http_connection::request(const std::string& method, const std::string& target, const std::string& body,
                               const header_list& headers) {
    bhttp::request<bhttp::string_body> req;
    req.method_string(method);
    req.target(target);
    req.version(11);
    req.set(bhttp::field::host, "127.0.0.1");
    for (auto& [k, v] : headers) {
        if (beast::iequals(k, "Host")) req.set(bhttp::field::host, v);  // a test's Host replaces ours
        else req.insert(k, v);
    }
    req.body() = body;
    req.prepare_payload();
    impl_->stream.expires_after(impl_->timeout);
    bhttp::write(impl_->stream, req);

    bhttp::response_parser<bhttp::string_body> parser;
    parser.body_limit(64 * 1024 * 1024);
    parser.skip(method == "HEAD");  // a HEAD answer has the GET's Content-Length and no body
    impl_->stream.expires_after(impl_->timeout);
    bhttp::read(impl_->stream, impl_->buffer, parser);
    auto res = parser.release();
    reply r;
    r.status = static_cast<int>(res.result_int());
    for (auto& f : res) r.headers.emplace_back(std::string(f.name_string()), std::string(f.value()));
    r.body = std::move(res.body());
    r.keep_alive = res.keep_alive();
    return r;
}

bool http_connection::closed_by_peer() {
    char c;
    beast::error_code ec;
    impl_->stream.expires_after(impl_->timeout);
    impl_->stream.read_some(asio::buffer(&c, 1), ec);
    return ec == asio::error::eof || ec == asio::error::connection_reset;
}

reply http_request(std::uint16_t port, const std::string& method, const std::string& target, const std::string& body,
                   const header_list& headers) {
    http_connection c(port);
    return c.request(method, target, body, headers);
}

std::string raw_exchange(std::uint16_t port, const std::string& bytes, std::chrono::milliseconds timeout) {
    asio::io_context ioc;
    beast::tcp_stream stream(ioc);
    stream.expires_after(timeout);
    stream.connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), port));
    stream.expires_after(timeout);
    asio::write(stream, asio::buffer(bytes));
    std::string out;
    char buf[4096];
    for (;;) {
        beast::error_code ec;
        std::size_t n = stream.read_some(asio::buffer(buf), ec);
        out.append(buf, n);
        if (ec) break;
    }
    return out;
}

bool answers_health(std::uint16_t port) {
    try {
        return http_request(port, "GET", "/healthz").status == 200;
    } catch (const std::exception&) {
        return false;
    }
}

struct raw_connection::impl {
    asio::io_context ioc;
    beast::tcp_stream stream{ioc};
    std::string received;
};

raw_connection::raw_connection(std::uint16_t port) : impl_(std::make_unique<impl>()) {
    impl_->stream.expires_after(std::chrono::seconds(5));
    impl_->stream.connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), port));
}

raw_connection::~raw_connection() = default;

void raw_connection::send(const std::string& bytes) {
    impl_->stream.expires_after(std::chrono::seconds(5));
    asio::write(impl_->stream, asio::buffer(bytes));
}

std::string raw_connection::read_until(const std::string& marker, std::chrono::milliseconds timeout) {
    const auto until = std::chrono::steady_clock::now() + timeout;
    char buf[4096];
    while (impl_->received.find(marker) == std::string::npos) {
        const auto left = until - std::chrono::steady_clock::now();
        if (left <= std::chrono::milliseconds(0)) break;
        impl_->stream.expires_after(std::chrono::duration_cast<std::chrono::milliseconds>(left));
        beast::error_code ec;
        std::size_t n = impl_->stream.read_some(asio::buffer(buf), ec);
        impl_->received.append(buf, n);
        if (ec) break;
    }
    return impl_->received;
}

bool port_is_released(std::uint16_t port) {
    asio::io_context ioc;
    const tcp::endpoint ep(asio::ip::make_address("127.0.0.1"), port);
    tcp::socket probe(ioc);
    beast::error_code ec;
    probe.connect(ep, ec);
    if (ec != asio::error::connection_refused) return false;
    tcp::acceptor own(ioc);
    own.open(ep.protocol(), ec);
    if (!ec) own.set_option(asio::socket_base::reuse_address(true), ec);
    if (!ec) own.bind(ep, ec);
    if (!ec) own.listen(asio::socket_base::max_listen_connections, ec);
    return !ec;
}

}  // namespace berth::test
