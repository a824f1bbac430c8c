// isolated_plugin's state, shared by its parts: isolated_plugin.cpp (launch, create, status,
// stop), isolated_entry.cpp (the stand-in descriptor's entry points), isolated_services.cpp
// (the worker's requests back to the host) and supervisor.cpp (heartbeat, restarts, failed).
#pragma once

#include "isolate/fields.hpp"  // the worker is not trusted: its fields are read leniently
#include "isolate/isolated_plugin.hpp"
#include "isolate/log_budget.hpp"
#include "isolate/worker_link.hpp"
#include "isolate/worker_process.hpp"

#include <condition_variable>
#include <deque>
#include <mutex>
#include <optional>
#include <shared_mutex>
#include <string>
#include <thread>
#include <variant>

namespace berth::host::isolate {

// One running worker: its process and its channel.
struct worker_handle {
    pid_t pid = 0;
    std::shared_ptr<worker_link> link;
};

struct isolated_plugin::impl {
    worker_options options;
    unique_fd image;                 // the sealed library image, kept for restarts
    std::string source;              // the plugin file, for messages
    std::string name, version, fingerprint;  // as the first worker read them
    berth_plugin_descriptor descriptor{};

    // What create() was given, for a restarted worker; the host table until destroy().
    std::string settings, database;
    std::shared_mutex host_mutex;
    const berth_host_api* host = nullptr;
    std::string manifest;  // the first describe(): a restarted worker must say the same

    // Guarded by m: the worker now, and the supervision state.
    mutable std::mutex m;
    std::condition_variable cv;  // wakes the supervisor
    std::string state = "starting";  // starting, serving, restarting, failed, stopped
    worker_handle worker;
    bool died = false;               // the worker ended (its stream, or its pid); the supervisor reaps it
    std::string death_note;          // what the reader saw (end of stream, a bad frame, a flood)
    // The host ended this pid itself (heartbeat, deadline): the exit it reports, not "signal 9".
    pid_t host_killed = 0;
    std::string host_note, host_kind;
    bool lifecycle_done = false;     // the generation's stop() or destroy() ran: no more restarts
    bool stopping = false;
    std::uint32_t restarts = 0;
    std::deque<std::chrono::steady_clock::time_point> crashes;  // within restart_window_ms
    std::string last_exit, failed_reason;
    std::optional<std::chrono::system_clock::time_point> last_exit_at, next_restart_at;
    std::optional<std::chrono::steady_clock::time_point> restart_due;
    std::thread supervisor;
    std::optional<plugin::unload_report> stopped;

    // Spawns a worker and loads the image there (steps worker, dlopen, descriptor). Nothing
    // is left running on failure. `reply` receives the load reply's fields.
    std::variant<worker_handle, plugin::load_failure> spawn_and_load(nlohmann::json* reply);
    worker_link::handlers link_handlers();
    // The current worker's link, or null (with the text handle() answers) when not serving.
    std::shared_ptr<worker_link> serving_link(std::string* why) const;
    // The worker for a lifecycle call: any state but stopped.
    std::shared_ptr<worker_link> current_link() const;

    // The worker's log lines into berthd's log: cut and rate-limited (isolate/log_budget.hpp).
    std::mutex log_mutex;
    log_budget logs;

    nlohmann::json serve(const nlohmann::json& request);  // token, call (isolated_services.cpp)
    void notice(const nlohmann::json& message);           // log, lease

    void supervise();  // the supervisor thread (supervisor.cpp)
    void on_death(worker_link* link, const std::string& why);  // from a link's reader
    // Ends the current worker if it is still `link`'s (SIGKILL to its process group, never after
    // it was reaped): the supervisor reaps it and reports `note` (reason_kind `kind`).
    void end_worker(const worker_link* link, const std::string& note, const char* kind);
    std::string unavailable_text() const;  // with m held
};

}  // namespace berth::host::isolate
