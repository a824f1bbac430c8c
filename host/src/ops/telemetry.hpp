// What the host tells operators about itself, as two streams: one record per answered request
// (the access log and the request metrics read it) and one event per thing that happened to a
// module or to the host (loads, swaps, refusals, config changes, admin calls: the event log,
// the swap metrics and GET /events read it). Call sites only describe what happened; the
// observers registered at start decide where it goes. Neither stream carries a secret: no
// token, password, body, key or query string.
#pragma once

#include <nlohmann/json.hpp>

#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

namespace berth::host::ops {

// One answered request on a module port (views are valid only during the observer call).
struct request_record {
    std::chrono::system_clock::time_point start;
    std::chrono::nanoseconds duration{};
    std::string_view request_id;
    std::string_view module;
    std::string_view method;
    // The route template ("/v1/items/{id}"), never the raw path; "host" for the host's own
    // routes (/healthz, /openapi.json, /docs), "unmatched" when no route took it.
    std::string_view route;
    std::string_view peer;        // the client's address; empty for in-process calls
    std::uint64_t generation = 0;  // 0: no generation served it
    int major = 0;                 // 0: unknown
    int status = 0;
    std::size_t bytes_in = 0;   // request body
    std::size_t bytes_out = 0;  // response body
};

// One thing that happened. `kind` is one of: load, swap, rollback, retire, drain, unload,
// module_added, module_removed, config_reload, admin_call, start, stop (docs/operations.md).
struct event {
    std::uint64_t seq = 0;  // 1, 2, ... in the order emitted
    std::chrono::system_clock::time_point time;
    std::string kind;
    std::string module;  // empty: the host itself
    nlohmann::json fields = nlohmann::json::object();
};

class telemetry {
public:
    using request_observer = std::function<void(const request_record&)>;
    using event_observer = std::function<void(const event&)>;

    // Before the host serves only: observers are read without a lock afterwards.
    void on_request(request_observer o) { request_observers_.push_back(std::move(o)); }
    void on_event(event_observer o) { event_observers_.push_back(std::move(o)); }

    // Any thread.
    void observe(const request_record& r) const;
    // Any thread: numbers the event, keeps it among the last `kept_events`, tells the observers.
    void emit(std::string kind, std::string module, nlohmann::json fields = nlohmann::json::object());

    // At most `max` of the kept events with seq > `after`, oldest first.
    std::vector<event> events_since(std::uint64_t after, std::size_t max) const;
    // The seq of the newest event emitted; 0 before the first.
    std::uint64_t last_seq() const;
    static constexpr std::size_t kept_events = 1024;

private:
    std::vector<request_observer> request_observers_;
    std::vector<event_observer> event_observers_;
    mutable std::mutex mutex_;  // guards what follows
    std::deque<event> recent_;
    std::uint64_t seq_ = 0;
};

}  // namespace berth::host::ops
