// Embedding Berth: an application that runs the host in-process, serves one plugin, calls
// it over HTTP, and stops. Exits 0 only if the greeting came back and the plugin unloaded.
// Built as its own project against the installed package (CMakeLists.txt here) and through
// add_subdirectory; the test suite runs both (tests/embed).
//
//     embed_example /path/to/greeter.so
#include <berth/host/runtime.hpp>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdint>
#include <filesystem>
#include <iostream>
#include <string>

namespace {

// The smallest possible HTTP client, so the example needs nothing but the host library.
// Returns the whole response, status line first; empty if the connection failed.
std::string get(std::uint16_t port, const std::string& path) {
    int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0) return {};
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(port);
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    std::string out;
    if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0) {
        std::string req = "GET " + path + " HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n";
        ::send(fd, req.data(), req.size(), 0);
        char buf[1024];
        for (ssize_t n; (n = ::recv(fd, buf, sizeof buf, 0)) > 0;) out.append(buf, static_cast<std::size_t>(n));
    }
    ::close(fd);
    return out;
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
    berth::host::module_config greeter;
    greeter.name = "greeter";
    greeter.library = std::filesystem::absolute(argv[1]);
    greeter.port = 0;
    greeter.settings_json = R"({"salutation": "Hello"})";
    cfg.modules.push_back(greeter);

    berth::host::runtime rt(cfg);
    rt.start();
    auto port = rt.module_port("greeter");
    if (!port) {
        std::cerr << "greeter is not configured\n";
        return 1;
    }
    for (auto& m : rt.modules()) std::cout << m.name << " " << to_string(m.state) << " on port " << m.port << "\n";

    auto response = get(*port, "/v1/greetings/embedder");
    bool greeted = response.rfind("HTTP/1.1 200 ", 0) == 0;
    auto body = response.find("\r\n\r\n");
    std::cout << (body == std::string::npos ? response : response.substr(body + 4)) << "\n";

    bool unloaded = true;
    for (auto& u : rt.stop()) {
        std::cout << u.name << (u.unloaded ? " unloaded" : " retained: " + u.detail) << "\n";
        unloaded = unloaded && u.unloaded;
    }
    std::filesystem::remove_all(cfg.data_dir);
    return greeted && unloaded ? 0 : 1;
}
