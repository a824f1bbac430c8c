// The worker's end of the channel to berthd (fd 3, isolate/protocol.hpp): framed writes under
// one lock, and the worker's own requests (token, call) waiting for the host's replies.
#pragma once

#include <nlohmann/json.hpp>

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <future>
#include <mutex>
#include <string_view>
#include <unordered_map>

namespace berth::worker {

class channel {
public:
    explicit channel(int fd) : fd_(fd) {}
    channel(const channel&) = delete;
    channel& operator=(const channel&) = delete;

    // Any thread. A failed write means the host is gone: the worker _exits at once.
    void send(const nlohmann::json& message);
    void reply_ok(std::int64_t id, nlohmann::json fields = nlohmann::json::object());
    void reply_error(std::int64_t id, std::string_view error, std::string_view step = {});

    // Sends `message` with a fresh id and blocks until the host's reply to it arrives.
    nlohmann::json request(nlohmann::json message);
    // The reading thread hands every reply here; one for no waiting request is dropped.
    void resolve(const nlohmann::json& reply);

    int fd() const { return fd_; }

    // Whether a message carrying `payload_bytes` (a body, a manifest) fits in one frame, with
    // room for everything else it carries.
    static bool carries(std::size_t payload_bytes);

private:
    int fd_;
    std::mutex write_;
    std::mutex pending_mutex_;
    std::unordered_map<std::int64_t, std::promise<nlohmann::json>> pending_;
    std::atomic<std::int64_t> next_id_{1};
};

}  // namespace berth::worker
