// A flood of idle connections on one port: the other ports and the admin API keep answering,
// and the flooded port serves new clients again once the idle ones time out.
#include "support/eventually.hpp"
#include "support/free_port.hpp"
#include "support/http_client.hpp"
#include "support/test_host.hpp"

#include <gtest/gtest.h>

#include <fstream>

#include <arpa/inet.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/wait.h>
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
    EXPECT_EQ(host.admin("GET", "/modules/calm").status, 200);
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
            return host.admin("GET", "/modules").status == 200;
        } catch (const std::exception&) {
            return false;
        }
    }, std::chrono::seconds(5)));
    for (int fd : fds) ::close(fd);
}

TEST(Flood, UnderALowDescriptorLimitTheOtherPortsAndTheAdminApiStillAccept) {
    temp_dir dir;
    const auto admin = free_port(), flooded = free_port(), calm = free_port();
    nlohmann::json cfg = {
        {"admin", {{"port", admin}}},
        {"data_dir", (dir.path() / "var").string()},
        {"limits", {{"max_connections_per_peer", 1000}}},
        {"modules",
         {{"flooded", {{"library", test_plugin("contract_probe").string()}, {"port", flooded}}},
          {"calm", {{"library", shipped_plugin("greeter").string()}, {"port", calm}}}}}};
    const auto config = dir.path() / "berth.json";
    std::ofstream(config) << cfg.dump();
    // 400 descriptors: before issue 7, five listeners each took up to 1024 connections and a
    // flood on one port made accept fail with EMFILE on every port, the admin one included.
    const pid_t pid = ::fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
        rlimit rl{400, 400};
        ::setrlimit(RLIMIT_NOFILE, &rl);
        int null = ::open("/dev/null", O_WRONLY);
        ::dup2(null, 1);
        ::dup2(null, 2);
        ::execl(BERTHD, BERTHD, "--config", config.c_str(), static_cast<char*>(nullptr));
        ::_exit(127);
    }
    struct reaper {
        pid_t pid;
        ~reaper() {
            ::kill(pid, SIGKILL);
            ::waitpid(pid, nullptr, 0);
        }
    } reap{pid};
    ASSERT_TRUE(eventually([&] { return answers_health(admin) && answers_health(calm); }));

    auto fds = idle_connections(flooded, 500);
    EXPECT_EQ(fds.size(), 500u);  // the kernel's backlog takes them; the host closes what it cannot keep
    // The admin API has places of its own; the calm port makes room by closing the longest idle.
    EXPECT_TRUE(answers_health(admin));
    EXPECT_TRUE(eventually([&] { return answers_health(calm); }));
    EXPECT_EQ(::waitpid(pid, nullptr, WNOHANG), 0) << "berthd is still running";
    for (int fd : fds) ::close(fd);
}

}  // namespace
}  // namespace berth::test
