// bare_beast: the baseline for bench/throughput. A plain Beast HTTP server doing the same
// work as the greeter plugin's GET /v1/greetings/{name} (route match, JSON body), with no
// plugin boundary, no worker hop and no contract checks. Same Boost, same flags, same tree.
//
//     bare_beast PORT THREADS
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/strand.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <nlohmann/json.hpp>

#include <iostream>
#include <memory>
#include <thread>
#include <vector>

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

class session : public std::enable_shared_from_this<session> {
public:
    explicit session(tcp::socket&& s) : stream_(std::move(s)) {}
    void run() { do_read(); }

private:
    void do_read() {
        req_ = {};
        stream_.expires_after(std::chrono::seconds(30));
        http::async_read(stream_, buffer_, req_, beast::bind_front_handler(&session::on_read, shared_from_this()));
    }
    void on_read(beast::error_code ec, std::size_t) {
        if (ec) return;
        res_ = {};
        res_.version(11);
        res_.keep_alive(req_.keep_alive());
        const std::string_view prefix = "/v1/greetings/";
        std::string_view target = req_.target();
        if (req_.method() == http::verb::get && target.substr(0, prefix.size()) == prefix) {
            res_.result(http::status::ok);
            res_.set(http::field::content_type, "application/json");
            res_.body() = nlohmann::json{{"greeting", "Hello, " + std::string(target.substr(prefix.size())) + "!"}}.dump();
        } else {
            res_.result(http::status::not_found);
        }
        res_.prepare_payload();
        http::async_write(stream_, res_, beast::bind_front_handler(&session::on_write, shared_from_this()));
    }
    void on_write(beast::error_code ec, std::size_t) {
        if (ec || !res_.keep_alive()) return;
        do_read();
    }
    beast::tcp_stream stream_;
    beast::flat_buffer buffer_;
    http::request<http::string_body> req_;
    http::response<http::string_body> res_;
};

void accept(tcp::acceptor& acceptor, asio::io_context& ioc) {
    acceptor.async_accept(asio::make_strand(ioc), [&](beast::error_code ec, tcp::socket s) {
        if (!ec) {
            s.set_option(tcp::no_delay(true));
            std::make_shared<session>(std::move(s))->run();
        }
        accept(acceptor, ioc);
    });
}

int main(int argc, char** argv) {
    if (argc != 3) {
        std::cerr << "usage: bare_beast PORT THREADS\n";
        return 2;
    }
    int threads = std::max(1, std::atoi(argv[2]));
    asio::io_context ioc(threads);
    tcp::acceptor acceptor(ioc, {asio::ip::make_address("127.0.0.1"), static_cast<unsigned short>(std::atoi(argv[1]))});
    accept(acceptor, ioc);
    std::cout << "listening on " << acceptor.local_endpoint().port() << std::endl;
    std::vector<std::thread> pool;
    for (int i = 1; i < threads; ++i) pool.emplace_back([&] { ioc.run(); });
    ioc.run();
}
