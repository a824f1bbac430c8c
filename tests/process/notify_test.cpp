// berthd speaks the service manager's readiness protocol: NOTIFY_SOCKET names a datagram socket
// this test owns, and berthd sends READY=1 once every module serves, RELOADING=1 then READY=1
// around a SIGHUP, and STOPPING=1 at SIGTERM, then exits 0.
#include "shop/berthd_child.hpp"
#include "support/test_host.hpp"

#include <gtest/gtest.h>

#include <signal.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstring>
#include <fstream>
#include <iterator>
#include <memory>
#include <string>

namespace berth::test {
namespace {

// The socket a service manager would own: every datagram berthd sends arrives here.
class notify_socket {
public:
    explicit notify_socket(const std::filesystem::path& path) : path_(path) {
        fd_ = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
        sockaddr_un a{};
        a.sun_family = AF_UNIX;
        if (path.string().size() >= sizeof a.sun_path) throw std::runtime_error("socket path too long");
        std::strcpy(a.sun_path, path.c_str());
        if (fd_ < 0 || ::bind(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0)
            throw std::runtime_error("cannot bind the notify socket");
        timeval limit{20, 0};  // a bound on a lost message, not a pace
        ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &limit, sizeof limit);
    }
    ~notify_socket() { ::close(fd_); }
    // The next datagram, or "" when none comes within 20 s.
    std::string next() {
        char buf[4096];
        auto n = ::recv(fd_, buf, sizeof buf, 0);
        return n > 0 ? std::string(buf, static_cast<std::size_t>(n)) : std::string();
    }

private:
    std::filesystem::path path_;
    int fd_ = -1;
};

bool has_line(const std::string& message, const std::string& line) {
    return ("\n" + message + "\n").find("\n" + line + "\n") != std::string::npos;
}

bool has_prefix_line(const std::string& message, const std::string& prefix) {
    return ("\n" + message).find("\n" + prefix) != std::string::npos;
}

class Notify : public ::testing::Test {
protected:
    void SetUp() override {
        sock_ = std::make_unique<notify_socket>(dir_.path() / "notify");
        child_ = std::make_unique<berthd_child>(dir_.path() / "host", nlohmann::json::object());
        // The child inherits the environment at fork: set for its start only.
        ::setenv("NOTIFY_SOCKET", (dir_.path() / "notify").c_str(), 1);
        try {
            child_->start();
        } catch (...) {
            ::unsetenv("NOTIFY_SOCKET");
            throw;
        }
        ::unsetenv("NOTIFY_SOCKET");
    }

    temp_dir dir_;
    std::unique_ptr<notify_socket> sock_;
    std::unique_ptr<berthd_child> child_;
};

TEST_F(Notify, ReadyOnceEveryModuleServesWithAStatusLine) {
    auto first = sock_->next();
    EXPECT_TRUE(has_line(first, "READY=1")) << first;
    EXPECT_TRUE(has_line(first, "STATUS=serving 4 of 4 modules; admin on 127.0.0.1:" +
                                    std::to_string(child_->port("admin"))))
        << first;
}

TEST_F(Notify, SighupSendsReloadingWithItsClockThenReady) {
    ASSERT_TRUE(has_line(sock_->next(), "READY=1"));
    ASSERT_EQ(::kill(child_->pid(), SIGHUP), 0);
    auto reloading = sock_->next();
    EXPECT_TRUE(has_line(reloading, "RELOADING=1")) << reloading;
    EXPECT_TRUE(has_prefix_line(reloading, "MONOTONIC_USEC=")) << reloading;
    auto ready = sock_->next();
    EXPECT_TRUE(has_line(ready, "READY=1")) << ready;
    EXPECT_TRUE(child_->running());
}

TEST_F(Notify, SighupWithABadFileKeepsServingAndSaysReadyAgain) {
    ASSERT_TRUE(has_line(sock_->next(), "READY=1"));
    std::ofstream(dir_.path() / "host" / "berth.json") << "{\"modules\": 7}";
    ASSERT_EQ(::kill(child_->pid(), SIGHUP), 0);
    EXPECT_TRUE(has_line(sock_->next(), "RELOADING=1"));
    EXPECT_TRUE(has_line(sock_->next(), "READY=1"));
    EXPECT_TRUE(answers_health(child_->port("users")));
    std::ifstream log(dir_.path() / "host" / "berthd.log");
    std::string text((std::istreambuf_iterator<char>(log)), std::istreambuf_iterator<char>());
    EXPECT_NE(text.find("is not valid; nothing changed"), std::string::npos) << text;
}

TEST_F(Notify, SigtermSendsStoppingAndExitsZero) {
    ASSERT_TRUE(has_line(sock_->next(), "READY=1"));
    child_->stop();
    auto stopping = sock_->next();
    EXPECT_TRUE(has_line(stopping, "STOPPING=1")) << stopping;
    ASSERT_TRUE(WIFEXITED(child_->wait_status()));
    EXPECT_EQ(WEXITSTATUS(child_->wait_status()), 0);
}

TEST_F(Notify, SigintStopsLikeSigterm) {
    ASSERT_TRUE(has_line(sock_->next(), "READY=1"));
    ASSERT_EQ(::kill(child_->pid(), SIGINT), 0);
    auto stopping = sock_->next();
    EXPECT_TRUE(has_line(stopping, "STOPPING=1")) << stopping;
    child_->stop();  // reaps (a SIGTERM on top of a stop changes nothing)
    ASSERT_TRUE(WIFEXITED(child_->wait_status()));
    EXPECT_EQ(WEXITSTATUS(child_->wait_status()), 0);
}

}  // namespace
}  // namespace berth::test
