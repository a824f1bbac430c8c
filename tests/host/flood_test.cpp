// A flood of idle connections on one port: the other ports and the admin API keep answering,
// and the flooded port serves new clients again once the idle ones time out.
#include "support/eventually.hpp"
#include "support/http_client.hpp"
#include "support/test_host.hpp"

#include <gtest/gtest.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

namespace berth::test {
namespace {

// Opens `n` TCP connections to 127.0.0.1:port and sends nothing on them.
std::vector<int> idle_connections(std::uint16_t port, int n) {
    std::vector<int> fds;
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(port);
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    for (int i = 0; i < n; ++i) {
        int fd = ::socket(AF_INET, SOCK_STREAM, 0);
        if (fd < 0) break;
        if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
            ::close(fd);
            break;
        }
        fds.push_back(fd);
    }
    return fds;
}

bool serves(std::uint16_t port) {
    try {
        return http_request(port, "GET", "/healthz").status == 200;
    } catch (const std::exception&) {
        return false;
    }
}

TEST(Flood, FiveThousandIdleConnectionsOnOnePortDisturbNoOtherPort) {
    test_host host({{"flooded", test_plugin("contract_probe"),
                     {{"limits", {{"read_timeout_ms", 4000}, {"max_connections", 5000},
                                  {"max_connections_per_peer", 5000}}}}},
                    {"calm", shipped_plugin("greeter")}});
    auto fds = idle_connections(host.port("flooded"), 5000);
    ASSERT_EQ(fds.size(), 5000u);
    // While they are held the flooded port is full: a new client is turned away...
    EXPECT_FALSE(serves(host.port("flooded")));
    // ... but the other module and the admin API answer as usual.
    EXPECT_EQ(http_request(host.port("calm"), "GET", "/v1/greetings/Ann").status, 200);
    EXPECT_EQ(host.admin("GET", "/plugins/calm").status, 200);
    // Once the idle ones time out, the flooded port serves new clients.
    EXPECT_TRUE(eventually([&] { return serves(host.port("flooded")); }, std::chrono::seconds(20)));
    // ... and the server has closed the idle connections itself.
    char byte;
    EXPECT_EQ(::recv(fds.front(), &byte, 1, 0), 0);
    for (int fd : fds) ::close(fd);
}

}  // namespace
}  // namespace berth::test
