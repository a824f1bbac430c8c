// A blocking loopback TCP client that sends exactly the bytes a test gives and tells a whole
// answer from a cut one or none: for tests of what the edge does with a connection (stops,
// drains, half-sent requests), below what http_client shows.
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdint>
#include <string>

namespace berth::test {

// What came back for a request: a whole response, nothing at all, or part of one.
enum class read_outcome { answered, not_accepted, cut };

class raw_client {
public:
    explicit raw_client(std::uint16_t port) {
        fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        sockaddr_in a{};
        a.sin_family = AF_INET;
        a.sin_port = htons(port);
        a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        connected_ = fd_ >= 0 && ::connect(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0;
    }
    ~raw_client() {
        if (fd_ >= 0) ::close(fd_);
    }
    raw_client(const raw_client&) = delete;
    raw_client& operator=(const raw_client&) = delete;

    bool connected() const { return connected_; }

    bool send(const std::string& bytes) {
        std::size_t off = 0;
        while (off < bytes.size()) {
            auto n = ::send(fd_, bytes.data() + off, bytes.size() - off, MSG_NOSIGNAL);
            if (n <= 0) return false;
            off += static_cast<std::size_t>(n);
        }
        return true;
    }

    // Reads "HTTP/1.1 100 Continue" and its blank line, nothing more.
    bool read_interim() {
        std::string got;
        char ch;
        while (got.size() < 256 && got.find("\r\n\r\n") == std::string::npos) {
            if (!readable() || ::recv(fd_, &ch, 1, 0) != 1) return false;
            got += ch;
        }
        return got.rfind("HTTP/1.1 100", 0) == 0;
    }

    // Reads one whole response (status line, headers, Content-Length body) into `out`; an
    // interim 100 before it is skipped.
    read_outcome read_response(std::string& out) {
        out.clear();
        std::size_t need = std::string::npos;
        for (;;) {
            if (auto end = out.find("\r\n\r\n"); need == std::string::npos && end != std::string::npos) {
                if (out.rfind("HTTP/1.1 100", 0) == 0) {
                    out.erase(0, end + 4);
                    continue;
                }
                need = end + 4 + content_length(out.substr(0, end));
            }
            if (need != std::string::npos && out.size() >= need) return read_outcome::answered;
            if (!readable()) return out.empty() ? read_outcome::not_accepted : read_outcome::cut;
            char buf[16384];
            auto n = ::recv(fd_, buf, sizeof buf, 0);
            if (n <= 0) return out.empty() ? read_outcome::not_accepted : read_outcome::cut;
            out.append(buf, static_cast<std::size_t>(n));
        }
    }

    // Everything until the peer closes; "(no close)" appended after 20 s of silence.
    std::string read_to_close() {
        std::string out;
        char buf[4096];
        for (;;) {
            if (!readable()) return out + "(no close)";
            auto n = ::recv(fd_, buf, sizeof buf, 0);
            if (n <= 0) return out;
            out.append(buf, static_cast<std::size_t>(n));
        }
    }

private:
    // A bound on every read, so that a test that fails cannot hang.
    bool readable() const {
        pollfd p{fd_, POLLIN, 0};
        return ::poll(&p, 1, 20'000) > 0;
    }
    static std::size_t content_length(const std::string& head) {
        for (std::size_t at = 0; (at = head.find("\r\n", at)) != std::string::npos;) {
            at += 2;
            if (strncasecmp(head.c_str() + at, "content-length:", 15) == 0) return std::stoul(head.substr(at + 15));
        }
        return 0;
    }
    int fd_ = -1;
    bool connected_ = false;
};

}  // namespace berth::test
