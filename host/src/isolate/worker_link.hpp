// The host's end of one worker's channel: a reader thread, requests waiting for their replies
// in mailboxes, and the worker's own requests (token, call) served on the host thread that
// waits for the handle request they are made for, else on one fallback thread; all bounded.
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

    // `write_timeout` bounds each frame's write as a whole: a worker that has not taken a frame
    // within it is broken (whether it reads nothing or a byte now and then).
    worker_link(unique_fd channel, handlers h, std::chrono::milliseconds write_timeout);
    ~worker_link();  // close()
    worker_link(const worker_link&) = delete;
    worker_link& operator=(const worker_link&) = delete;

    // Sends `message` as a request (its "id" is set here) and waits for the reply. For a handle
    // request only, it serves the worker's requests made for it meanwhile, on this thread, up to
    // max_nesting deep (a call can lead back here); for a lifecycle request they go to the
    // fallback thread, so they cannot run outside its deadline. nullopt: the worker ended, the link was closed,
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

    // Calls served on one host thread inside one another (a call that leads to a handle whose
    // worker calls again): past it the call is refused, so the host's stack stays bounded.
    static constexpr int max_nesting = 8;
    // What one link may have queued of the worker's requests: entries per mailbox and for the
    // fallback thread, and bytes in all (at least one frame: a call carries a body).
    static constexpr std::size_t max_mailbox_entries = 32, max_fallback_entries = 64;
    static constexpr std::size_t max_queued_bytes = 80u << 20;

private:
    struct queued {
        nlohmann::json message;
        std::size_t bytes = 0;  // counted in queued_bytes_ until taken
    };
    struct mailbox {
        std::mutex m;
        std::condition_variable cv;
        std::deque<queued> inbox;
        nlohmann::json reply;  // the first reply; any more are dropped
        bool answered = false;
        bool ended = false;
        bool takes_calls = false;  // a handle request: the worker's calls for it are served on its thread
        bool closed = false;       // forgotten by its requester: nothing more is queued here
    };
    bool send(const nlohmann::json& message);  // false: the channel broke (then it is shut down), or busy past write_timeout
    void serve_one(const nlohmann::json& request);
    // Counts a frame of the worker's into a queue holding `entries`: what to queue (the frame, or
    // a refusal past the bounds); throws channel_error past twice the entry bound.
    queued admit(nlohmann::json frame, std::size_t bytes, std::size_t entries, std::size_t bound, const char* what);
    void release(const queued& q) { queued_bytes_ -= q.bytes; }
    void read_loop();
    void fallback_loop();
    void end_all();

    unique_fd fd_;
    handlers h_;
    std::chrono::milliseconds write_timeout_;
    std::timed_mutex write_mutex_;  // the reader never takes it
    std::atomic<std::uint64_t> next_id_{1};
    std::mutex pending_mutex_;
    std::map<std::uint64_t, std::shared_ptr<mailbox>> pending_;
    std::atomic<bool> ended_{false}, closing_{false};
    // Pings sent and the highest answered: only the answer to one sent and not yet answered counts.
    std::atomic<std::uint64_t> pings_sent_{0}, pings_answered_{0};
    std::atomic<std::size_t> queued_bytes_{0};
    std::atomic<clock::rep> last_pong_;
    std::mutex fallback_mutex_;
    std::condition_variable fallback_cv_;
    std::deque<queued> fallback_;
    std::thread reader_, fallback_thread_;
    std::once_flag closed_;
};

}  // namespace berth::host::isolate
