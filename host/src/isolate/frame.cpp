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

// Builds the message as nlohmann's own DOM parser does, counting as it goes: a one-byte
// MessagePack value (an empty map, a nil) becomes a heap node of a hundred bytes or more, so a
// frame's length alone does not bound what parsing it costs. Past the budget it stops.
class bounded_sax {
public:
    explicit bounded_sax(nlohmann::json& out) : dom_(out, false) {}
    bool over_budget = false;

    bool null() { return count() && dom_.null(); }
    bool boolean(bool v) { return count() && dom_.boolean(v); }
    bool number_integer(nlohmann::json::number_integer_t v) { return count() && dom_.number_integer(v); }
    bool number_unsigned(nlohmann::json::number_unsigned_t v) { return count() && dom_.number_unsigned(v); }
    bool number_float(nlohmann::json::number_float_t v, const std::string& s) { return count() && dom_.number_float(v, s); }
    bool string(std::string& v) { return count() && dom_.string(v); }
    bool binary(nlohmann::json::binary_t& v) { return count() && dom_.binary(v); }
    bool start_object(std::size_t n) { return enter() && dom_.start_object(n); }
    bool key(std::string& k) { return count() && dom_.key(k); }
    bool end_object() { --depth_; return dom_.end_object(); }
    bool start_array(std::size_t n) { return enter() && dom_.start_array(n); }
    bool end_array() { --depth_; return dom_.end_array(); }
    bool parse_error(std::size_t p, const std::string& t, const nlohmann::json::exception& e) { return dom_.parse_error(p, t, e); }

private:
    bool count() {
        if (++values_ <= max_frame_values) return true;
        over_budget = true;
        return false;
    }
    bool enter() {
        if (++depth_ <= max_frame_depth) return count();
        over_budget = true;
        return false;
    }
    nlohmann::detail::json_sax_dom_parser<nlohmann::json> dom_;
    std::size_t values_ = 0, depth_ = 0;
};

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
    nlohmann::json message;
    bounded_sax sax(message);
    bool parsed = false;
    try {
        parsed = nlohmann::json::sax_parse(body.begin(), body.end(), &sax, nlohmann::json::input_format_t::msgpack, true);
    } catch (const std::exception&) {
        parsed = false;
    }
    if (sax.over_budget) throw channel_error("channel read: a frame with more than " + std::to_string(max_frame_values) + " values or deeper than " + std::to_string(max_frame_depth) + " levels");
    if (!parsed || !message.is_object()) throw channel_error("channel read: a frame that is not a MessagePack map");
    return message;
}

}  // namespace berth::host::isolate
