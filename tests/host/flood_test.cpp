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


TEST(Flood, FiveThousandIdleConnectionsOnOnePortDisturbNoOtherPort) {
    test_host host({{"flooded", test_plugin("contract_probe"),
                     {{"limits", {{"read_timeout_ms", 4000}, {"max_connections", 5000},
                                  {"max_connections_per_peer", 5000}}}}},
                    {"calm", shipped_plugin("greeter")}});
    auto fds = idle_connections(host.port("flooded"), 5000);
    ASSERT_EQ(fds.size(), 5000u);
    // While they are held, the other module and the admin API answer as usual.
    EXPECT_EQ(http_request(host.port("calm"), "GET", "/v1/greetings/Ann").status, 200);
    EXPECT_EQ(host.admin("GET", "/plugins/calm").status, 200);
    // The flooded port serves new clients (each one closes the connection idle longest), and
    // once the idle ones time out the server has closed them itself.
    EXPECT_TRUE(eventually([&] { return answers_health(host.port("flooded")); }, std::chrono::seconds(20)));
    char byte;
    EXPECT_EQ(::recv(fds.back(), &byte, 1, 0), 0);
    for (int fd : fds) ::close(fd);
}

TEST(Flood, IdleConnectionsFromManyAddressesCannotLockTheOperatorOut) {
    test_host host({{"calm", shipped_plugin("greeter")}},
                   {{"limits", {{"max_connections", 200}, {"max_connections_per_peer", 1000}}}});
    // Idle connections fill the admin port from another loopback address than the operator's.
    std::vector<int> fds;
    sockaddr_in from{};
    from.sin_family = AF_INET;
    from.sin_addr.s_addr = htonl(0x7f000002);  // 127.0.0.2
    sockaddr_in to{};
    to.sin_family = AF_INET;
    to.sin_port = htons(host.admin_port());
    to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    for (int i = 0; i < 200; ++i) {
        int fd = ::socket(AF_INET, SOCK_STREAM, 0);
        ASSERT_GE(fd, 0);
        ASSERT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&from), sizeof from), 0);
        ASSERT_EQ(::connect(fd, reinterpret_cast<sockaddr*>(&to), sizeof to), 0);
        fds.push_back(fd);
    }
    // Once they have been idle a moment, the operator still gets in: the longest idle makes room.
    EXPECT_TRUE(eventually([&] {
        try {
            return host.admin("GET", "/plugins").status == 200;
        } catch (const std::exception&) {
            return false;
        }
    }, std::chrono::seconds(5)));
    for (int fd : fds) ::close(fd);
}

}  // namespace
}  // namespace berth::test
