// Embedding Berth: an application that runs the host in-process, serves one plugin, calls
// it over HTTP, and stops. Built and run by the test suite (docs.embed_example).
//
//     berth_embed_example /path/to/greeter.so
#include <berth/host/runtime.hpp>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <filesystem>
#include <iostream>
#include <string>

namespace {

// The smallest possible HTTP client, so the example needs nothing but the host library.
std::string get(std::uint16_t port, const std::string& path) {
    int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(port);
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) return "connect failed";
    std::string req = "GET " + path + " HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n";
    ::send(fd, req.data(), req.size(), 0);
    std::string out;
    char buf[1024];
    for (ssize_t n; (n = ::recv(fd, buf, sizeof buf, 0)) > 0;) out.append(buf, static_cast<std::size_t>(n));
    ::close(fd);
    return out.substr(out.find("\r\n\r\n") + 4);
}

}  // namespace

int main(int argc, char** argv) {
    if (argc != 2) {
        std::cerr << "usage: " << argv[0] << " PLUGIN.so\n";
        return 2;
    }
    // A config can be built in code as well as read with berth::host::load_config().
    berth::host::config cfg;
    cfg.admin_port = 0;  // ephemeral
    cfg.data_dir = std::filesystem::temp_directory_path() / ("berth-embed-" + std::to_string(::getpid()));
    berth::host::plugin_config greeter;
    greeter.name = "greeter";
    greeter.library = std::filesystem::absolute(argv[1]);
    greeter.port = 0;
    greeter.settings_json = R"({"salutation": "Hello"})";
    cfg.plugins.push_back(greeter);

    berth::host::runtime rt(cfg);
    rt.start();
    for (auto& m : rt.modules()) std::cout << m.name << " " << to_string(m.state) << " on port " << m.port << "\n";

    std::cout << get(*rt.module_port("greeter"), "/v1/greetings/embedder") << "\n";

    for (auto& u : rt.stop()) std::cout << u.name << (u.unloaded ? " unloaded" : " retained: " + u.detail) << "\n";
    std::filesystem::remove_all(cfg.data_dir);
    return 0;
}
