#include "admin_client.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include <cctype>
#include <exception>
#include <optional>

namespace berth::ctl {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = beast::http;
using tcp = asio::ip::tcp;

admin_url parse_admin_url(const std::string& text) {
    const std::string scheme = "http://";
    if (text.rfind("https://", 0) == 0)
        throw std::invalid_argument("berthctl speaks plain http: the admin API listens on loopback (see admin.address)");
    if (text.rfind(scheme, 0) != 0) throw std::invalid_argument("the URL must start with http://");
    auto rest = text.substr(scheme.size());
    auto slash = rest.find('/');
    auto authority = rest.substr(0, slash);
    admin_url u;
    if (slash != std::string::npos) u.prefix = rest.substr(slash);
    while (!u.prefix.empty() && u.prefix.back() == '/') u.prefix.pop_back();
    if (u.prefix.find_first_of("?#") != std::string::npos)
        throw std::invalid_argument("the URL may have a path but no query or fragment");
    if (authority.find('@') != std::string::npos)
        throw std::invalid_argument("the URL may not carry credentials (use the token file)");
    if (!authority.empty() && authority.front() == '[') {
        auto close = authority.find(']');
        if (close == std::string::npos) throw std::invalid_argument("the URL has an unclosed '[' in its host");
        u.host = authority.substr(1, close - 1);
        auto after = authority.substr(close + 1);
        if (!after.empty()) {
            if (after.front() != ':') throw std::invalid_argument("the URL has text after its IPv6 host");
            u.port = after.substr(1);
        }
    } else {
        auto colon = authority.find(':');
        u.host = authority.substr(0, colon);
        if (colon != std::string::npos) u.port = authority.substr(colon + 1);
    }
    if (u.host.empty()) throw std::invalid_argument("the URL has no host");
    if (u.port.empty() || u.port.size() > 5 ||
        u.port.find_first_not_of("0123456789") != std::string::npos || std::stoi(u.port) == 0 ||
        std::stoi(u.port) > 65535)
        throw std::invalid_argument("the URL's port must be a number from 1 to 65535");
    u.host_header = authority;
    return u;
}

bool loopback_host(const std::string& host) {
    if (host == "localhost") return true;
    boost::system::error_code ec;
    auto address = boost::asio::ip::make_address(host, ec);
    return !ec && address.is_loopback();
}

std::string path_segment(const std::string& s) {
    static const char* hex = "0123456789ABCDEF";
    std::string out;
    for (unsigned char c : s) {
        if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
            out += static_cast<char>(c);
        } else {
            out += '%';
            out += hex[c >> 4];
            out += hex[c & 15];
        }
    }
    return out;
}

admin_client::admin_client(admin_url url, std::string token, std::chrono::milliseconds timeout)
    : url_(std::move(url)), token_(std::move(token)), timeout_(timeout) {}

namespace {

asio::awaitable<bhttp::response<bhttp::string_body>> exchange(tcp::resolver& resolver, beast::tcp_stream& stream,
                                                             const admin_url& url,
                                                             bhttp::request<bhttp::string_body> req,
                                                             bool head) {
    auto endpoints = co_await resolver.async_resolve(url.host, url.port, asio::use_awaitable);
    co_await stream.async_connect(endpoints, asio::use_awaitable);
    co_await bhttp::async_write(stream, req, asio::use_awaitable);
    beast::flat_buffer buffer;
    bhttp::response_parser<bhttp::string_body> parser;
    parser.header_limit(64 * 1024);
    parser.body_limit(admin_client::max_answer_bytes);
    parser.skip(head);
    co_await bhttp::async_read(stream, buffer, parser, asio::use_awaitable);
    beast::error_code ignored;
    stream.socket().shutdown(tcp::socket::shutdown_both, ignored);
    co_return parser.release();
}

}  // namespace

answer admin_client::call(const std::string& method, const std::string& target, const std::string& json_body) const {
    bhttp::request<bhttp::string_body> req;
    req.method_string(method);
    req.target(url_.prefix + target);
    req.version(11);
    req.set(bhttp::field::host, url_.host_header);
    req.set(bhttp::field::user_agent, "berthctl");
    req.set(bhttp::field::accept, "application/json, application/problem+json, text/plain");
    req.set(bhttp::field::connection, "close");
    if (!token_.empty()) req.set(bhttp::field::authorization, "Bearer " + token_);
    if (method != "GET" && method != "HEAD") {
        req.set(bhttp::field::content_type, "application/json");
        req.body() = json_body;
    }
    req.prepare_payload();

    asio::io_context ioc;
    tcp::resolver resolver(ioc);
    beast::tcp_stream stream(ioc);
    std::optional<bhttp::response<bhttp::string_body>> res;
    std::exception_ptr failure;
    asio::co_spawn(ioc, exchange(resolver, stream, url_, std::move(req), method == "HEAD"),
                   [&](std::exception_ptr e, bhttp::response<bhttp::string_body> r) {
                       if (e) failure = e;
                       else res = std::move(r);
                   });
    // One deadline for the whole call: resolve, connect, write and read.
    ioc.run_for(timeout_);
    const std::string where = "http://" + url_.host_header + url_.prefix;
    if (!res && !failure)
        throw unreachable("no answer from " + where + " within " + std::to_string(timeout_.count()) +
                          " ms (--timeout)");
    if (failure) {
        try {
            std::rethrow_exception(failure);
        } catch (const boost::system::system_error& e) {
            if (e.code() == bhttp::error::body_limit)
                throw unreachable("the answer from " + where + " is larger than " +
                                  std::to_string(max_answer_bytes / (1024 * 1024)) + " MiB; refused");
            if (e.code().category() == bhttp::make_error_code(bhttp::error::end_of_stream).category())
                throw unreachable("what " + where + " sent back is not an HTTP answer (" + e.code().message() + ")");
            throw unreachable("cannot reach " + where + ": " + e.code().message());
        }
    }
    answer a;
    a.status = static_cast<int>(res->result_int());
    a.content_type = std::string((*res)[bhttp::field::content_type]);
    a.body = std::move(res->body());
    return a;
}

}  // namespace berth::ctl
