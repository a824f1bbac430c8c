// The host's end of one worker's channel: a reader thread, requests waiting for their replies
// in mailboxes, and the worker's own requests (token, call) served on the host thread that
// waits for the request they are made for, else on one fallback thread.
#pragma once

#include "isolate/worker_process.hpp"

#include <nlohmann/json.hpp>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

namespace berth::host::isolate {

class worker_link {
public:
    using clock = std::chrono::steady_clock;
    struct handlers {
        // log and lease: no reply; run on the reader thread, so they must not block.
        std::function<void(const nlohmann::json&)> notice;
        // token and call: the reply's fields ({"ok":true,...} or {"ok":false,"error":..}).
        std::function<nlohmann::json(const nlohmann::json&)> serve;
        // Once, from the reader thread, when the stream ends or breaks (not after close()).
        std::function<void(const std::string& why)> ended;
    };

    // `write_timeout` bounds each write: a worker that reads nothing for that long is broken.
    worker_link(unique_fd channel, handlers h, std::chrono::milliseconds write_timeout);
    ~worker_link();  // close()
    worker_link(const worker_link&) = delete;
    worker_link& operator=(const worker_link&) = delete;

    // Sends `message` as a request (its "id" is set here) and waits for the reply, serving the
    // worker's requests made for it meanwhile. nullopt: the worker ended, the link was closed,
    // or `deadline` passed (then timed_out). `sent` false: the worker never got it (the link had
    // ended or the write failed), so it cannot have acted on it.
    struct outcome {
        std::optional<nlohmann::json> reply;
        bool timed_out = false;
        bool sent = true;
    };
    outcome request(nlohmann::json message, std::optional<clock::time_point> deadline = std::nullopt);

    // A heartbeat: sends a ping unless a write is under way (then the next one tries again).
    void ping();
    clock::time_point last_pong() const { return clock::time_point(clock::duration(last_pong_.load())); }
    // Counts silence from now: when a worker starts serving (its load and start took their time).
    void expect_from_now() { last_pong_ = clock::now().time_since_epoch().count(); }

    // Ends the stream (the worker sees end of stream and exits), wakes every waiter, joins the
    // threads. Idempotent; never from the reader thread's callbacks.
    void close();
    bool ended() const { return ended_.load(); }

private:
    struct mailbox {
        std::mutex m;
        std::condition_variable cv;
        std::deque<nlohmann::json> inbox;
        bool ended = false;
    };
    bool send(const nlohmann::json& message);  // false: the channel broke (then it is shut down)
    void serve_one(const nlohmann::json& request);
    void read_loop();
    void fallback_loop();
    void end_all();

    unique_fd fd_;
    handlers h_;
    std::mutex write_mutex_;  // the reader never takes it
    std::atomic<std::uint64_t> next_id_{1};
    std::mutex pending_mutex_;
    std::map<std::uint64_t, std::shared_ptr<mailbox>> pending_;
    std::atomic<bool> ended_{false}, closing_{false};
    std::uint64_t pings_ = 0;  // under write_mutex_
    std::atomic<clock::rep> last_pong_;
    std::mutex fallback_mutex_;
    std::condition_variable fallback_cv_;
    std::deque<nlohmann::json> fallback_;
    std::thread reader_, fallback_thread_;
    std::once_flag closed_;
};

}  // namespace berth::host::isolate
