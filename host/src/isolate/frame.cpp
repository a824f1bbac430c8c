#include "isolate/frame.hpp"

#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

namespace berth::host::isolate {

namespace {

void write_all(int fd, const std::uint8_t* data, std::size_t size) {
    while (size > 0) {
        // MSG_NOSIGNAL: a worker that died must not raise SIGPIPE in the host.
        const ssize_t n = ::send(fd, data, size, MSG_NOSIGNAL);
        if (n < 0) {
            if (errno == EINTR) continue;
            throw channel_error(std::string("channel write: ") + std::strerror(errno));
        }
        data += n;
        size -= static_cast<std::size_t>(n);
    }
}

// False at end of stream before the first byte; throws if the stream ends part-way.
bool read_all(int fd, std::uint8_t* data, std::size_t size) {
    std::size_t got = 0;
    while (got < size) {
        const ssize_t n = ::read(fd, data + got, size - got);
        if (n < 0) {
            if (errno == EINTR) continue;
            throw channel_error(std::string("channel read: ") + std::strerror(errno));
        }
        if (n == 0) {
            if (got == 0) return false;
            throw channel_error("channel read: the stream ended inside a frame");
        }
        got += static_cast<std::size_t>(n);
    }
    return true;
}

}  // namespace

void write_frame(int fd, const nlohmann::json& message) {
    std::vector<std::uint8_t> frame(4);
    nlohmann::json::to_msgpack(message, frame);
    const std::size_t length = frame.size() - 4;
    if (length > max_frame_bytes) throw channel_error("channel write: a message of " + std::to_string(length) + " bytes is over the frame limit");
    for (int i = 0; i < 4; ++i) frame[i] = static_cast<std::uint8_t>(length >> (8 * (3 - i)));
    write_all(fd, frame.data(), frame.size());
}

std::optional<nlohmann::json> read_frame(int fd) {
    std::uint8_t head[4];
    if (!read_all(fd, head, 4)) return std::nullopt;
    const std::size_t length = (std::size_t(head[0]) << 24) | (std::size_t(head[1]) << 16) | (std::size_t(head[2]) << 8) | head[3];
    if (length > max_frame_bytes) throw channel_error("channel read: a frame of " + std::to_string(length) + " bytes is over the limit");
    std::vector<std::uint8_t> body(length);
    if (length > 0 && !read_all(fd, body.data(), length)) throw channel_error("channel read: the stream ended inside a frame");
    auto message = nlohmann::json::from_msgpack(body, true, false);
    if (message.is_discarded() || !message.is_object()) throw channel_error("channel read: a frame that is not a MessagePack map");
    return message;
}

}  // namespace berth::host::isolate
