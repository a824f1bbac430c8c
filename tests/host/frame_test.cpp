// The isolation channel's framing (host/src/isolate/frame.hpp): what a worker sends is bounded
// before and while it is parsed.
#include "isolate/frame.hpp"

#include <gtest/gtest.h>

#include <sys/socket.h>
#include <unistd.h>

#include <cstdint>
#include <thread>
#include <vector>

namespace {

using berth::host::isolate::channel_error;
using berth::host::isolate::read_frame;
using berth::host::isolate::write_frame;

struct socket_pair {
    int fd[2] = {-1, -1};
    socket_pair() { EXPECT_EQ(::socketpair(AF_UNIX, SOCK_STREAM, 0, fd), 0); }
    ~socket_pair() {
        for (int f : fd)
            if (f >= 0) ::close(f);
    }
};

// Writes a raw frame (length prefix + bytes) from its own thread: it may not fit the socket buffer.
void send_raw(int fd, const std::vector<std::uint8_t>& payload) {
    std::vector<std::uint8_t> frame = {static_cast<std::uint8_t>(payload.size() >> 24),
                                       static_cast<std::uint8_t>(payload.size() >> 16),
                                       static_cast<std::uint8_t>(payload.size() >> 8),
                                       static_cast<std::uint8_t>(payload.size())};
    frame.insert(frame.end(), payload.begin(), payload.end());
    std::size_t off = 0;
    while (off < frame.size()) {
        auto n = ::send(fd, frame.data() + off, frame.size() - off, MSG_NOSIGNAL);
        if (n <= 0) return;  // the reader gave up
        off += static_cast<std::size_t>(n);
    }
}

TEST(Frame, CarriesAMessageWithABinaryBody) {
    socket_pair p;
    nlohmann::json m = {{"t", "reply"}, {"id", 7}, {"body", nlohmann::json::binary({0, 255, 10})},
                        {"headers", {{"A", "b"}}}};
    write_frame(p.fd[0], m);
    auto got = read_frame(p.fd[1]);
    ASSERT_TRUE(got);
    EXPECT_EQ(*got, m);
}

TEST(Frame, EndsCleanlyAtEndOfStream) {
    socket_pair p;
    ::close(p.fd[0]);
    p.fd[0] = -1;
    EXPECT_FALSE(read_frame(p.fd[1]));
}

TEST(Frame, RefusesALengthOverTheLimitBeforeReadingIt) {
    socket_pair p;
    const std::uint8_t head[4] = {0xff, 0xff, 0xff, 0xff};
    ASSERT_EQ(::send(p.fd[0], head, 4, 0), 4);
    EXPECT_THROW(read_frame(p.fd[1]), channel_error);
}

// 8 MB of one-byte empty maps would be over a gigabyte of parsed nodes: refused at the budget.
TEST(Frame, RefusesAFrameOfMoreValuesThanItsBudget) {
    socket_pair p;
    std::vector<std::uint8_t> payload = {0x81, 0xa1, 'a', 0xdd};  // {"a": array32 of n}
    const std::uint32_t n = 8u << 20;
    for (int i = 3; i >= 0; --i) payload.push_back(static_cast<std::uint8_t>(n >> (8 * i)));
    payload.insert(payload.end(), n, 0x80);
    std::thread writer([&] { send_raw(p.fd[0], payload); });
    EXPECT_THROW(read_frame(p.fd[1]), channel_error);
    ::shutdown(p.fd[1], SHUT_RDWR);
    writer.join();
}

TEST(Frame, RefusesAFrameNestedDeeperThanItsBudget) {
    socket_pair p;
    std::vector<std::uint8_t> payload = {0x81, 0xa1, 'a'};
    payload.insert(payload.end(), 64, 0x91);  // arrays of one, 64 deep
    payload.push_back(0xc0);
    send_raw(p.fd[0], payload);
    EXPECT_THROW(read_frame(p.fd[1]), channel_error);
}

TEST(Frame, RefusesBytesThatAreNotAMap) {
    socket_pair p;
    send_raw(p.fd[0], {0x92, 0x01, 0x02});  // [1, 2]
    EXPECT_THROW(read_frame(p.fd[1]), channel_error);
    send_raw(p.fd[0], {0xc1});  // never used in MessagePack
    EXPECT_THROW(read_frame(p.fd[1]), channel_error);
}

}  // namespace
