// The supervisor thread of an isolated plugin: heartbeat, the dead worker's reaping, restarts
// with backoff (100 ms doubling to 30 s) and `failed` past the restart budget.
#include "isolate/isolated_plugin_impl.hpp"

#include "isolate/protocol.hpp"
#include "ops/logging_events.hpp"

#include <spdlog/spdlog.h>

#include <signal.h>

#include <algorithm>

namespace berth::host::isolate {

using nlohmann::json;
using steady = std::chrono::steady_clock;
using std::chrono::milliseconds;

namespace {

constexpr milliseconds first_backoff{100}, most_backoff{30'000};

milliseconds backoff(std::size_t crashes) {
    milliseconds d = first_backoff;
    for (std::size_t i = 1; i < crashes && d < most_backoff; ++i) d *= 2;
    return std::min(d, most_backoff);
}

// Runs the lifecycle of a restarted worker: create with the kept settings, describe (must say
// what the first worker said), start, ready. Empty: serving; else why not.
std::string bring_up(isolated_plugin::impl& d, worker_link& link) {
    auto step = [&](json message, std::optional<milliseconds> limit) -> std::optional<json> {
        std::optional<worker_link::clock::time_point> deadline;
        if (limit) deadline = worker_link::clock::now() + *limit;
        auto out = link.request(std::move(message), deadline);
        if (!out.reply || !ok_reply(*out.reply)) return std::nullopt;
        return std::move(*out.reply);
    };
    {
        std::shared_lock lock(d.host_mutex);
        if (!d.host) return "the generation was destroyed";
    }
    if (!step(json{{"t", msg::create}, {"settings", d.settings}, {"database", d.database}}, std::nullopt))
        return "create failed";
    auto described = step(json{{"t", msg::describe}}, d.options.ready_timeout);
    if (!described) return "describe failed";
    {
        std::lock_guard lock(d.m);
        if (text_field(*described, "manifest") != d.manifest) return "its manifest differs from the first worker's";
    }
    if (!step(json{{"t", msg::start}}, std::nullopt)) return "start failed";
    if (!step(json{{"t", msg::ready}}, d.options.ready_timeout)) return "not ready within " + std::to_string(d.options.ready_timeout.count()) + " ms";
    return {};
}

}  // namespace

void isolated_plugin::impl::supervise() {
    std::unique_lock lock(m);
    // After a crash: counts it, then restarts later, or gives up. With `lock` held.
    auto crashed = [&](pid_t pid, const std::string& reason, const char* kind) {
        const auto now = steady::now();
        last_exit = reason;
        last_exit_at = std::chrono::system_clock::now();
        const bool was_up = state == "serving" || state == "restarting";
        if (stopping || lifecycle_done || !was_up) {
            if (stopping || lifecycle_done) state = "stopped";
            spdlog::error("[{}] worker pid {} ended: {}", options.module, pid, reason);
            ops::emit(options.services, "worker_exit", options.module,
                      {{"pid", pid}, {"reason", reason}, {"reason_kind", kind}, {"restarts", restarts}, {"state", state}});
            return;
        }
        crashes.push_back(now);
        const milliseconds window(options.limits.restart_window_ms);
        while (!crashes.empty() && now - crashes.front() > window) crashes.pop_front();
        const bool fails = crashes.size() > options.limits.max_restarts;
        ops::emit(options.services, "worker_exit", options.module,
                  {{"pid", pid}, {"reason", reason}, {"reason_kind", kind}, {"restarts", restarts},
                   {"state", fails ? "failed" : "restarting"}});
        if (fails) {
            state = "failed";
            next_restart_at.reset();
            failed_reason = "the module's worker failed " + std::to_string(crashes.size()) + " times in " +
                            std::to_string(std::max<std::uint32_t>(1, options.limits.restart_window_ms / 1000)) +
                            " s; it stays down until a swap or reload";
            spdlog::error("[{}] worker pid {} ended: {}; {}", options.module, pid, reason, failed_reason);
            ops::emit(options.services, "worker_failed", options.module,
                      {{"pid", pid}, {"reason", failed_reason}, {"restarts", restarts}});
            return;
        }
        const auto delay = backoff(crashes.size());
        state = "restarting";
        restart_due = now + delay;
        next_restart_at = std::chrono::system_clock::now() + delay;
        spdlog::error("[{}] worker pid {} ended: {}; restart {} of {} in {} ms", options.module, pid, reason,
                      crashes.size(), options.limits.max_restarts, delay.count());
    };

    for (;;) {
        if (stopping) return;
        const auto now = steady::now();
        if (died) {
            died = false;
            worker_handle w = std::move(worker);
            worker = {};
            const bool silent = heartbeat_killed == w.pid;
            heartbeat_killed = 0;
            if (state == "serving") state = "restarting";  // while it is reaped: never "serving" without a worker
            lock.unlock();
            const int status = kill_and_reap(w.pid);  // in case it only closed its end
            if (w.link) w.link->close();
            lock.lock();
            if (silent)
                crashed(w.pid, "killed: no heartbeat answer within " + std::to_string(options.limits.heartbeat_timeout_ms) + " ms",
                        "heartbeat");
            else
                crashed(w.pid, exit_text(status), killed_by_signal(status) ? "signal" : "exit");
            continue;
        }
        if (restart_due && now >= *restart_due && !lifecycle_done) {
            restart_due.reset();
            ++restarts;
            lock.unlock();
            auto loaded = spawn_and_load(nullptr);
            lock.lock();
            if (auto* f = std::get_if<plugin::load_failure>(&loaded)) {
                crashed(0, "the restart failed at step " + f->step + ": " + f->message, "exit");
                continue;
            }
            if (stopping) {  // stop_worker found no worker to end: end this one here
                auto w = std::get<worker_handle>(std::move(loaded));
                lock.unlock();
                w.link->close();
                kill_and_reap(w.pid);
                return;
            }
            worker = std::get<worker_handle>(std::move(loaded));  // from now on stop_worker ends it
            auto link = worker.link;
            const pid_t pid = worker.pid;
            if (link->ended()) died = true;
            lock.unlock();
            std::string wrong = bring_up(*this, *link);
            lock.lock();
            if (stopping || worker.link != link) continue;  // stopped, or it died (then `died` is set)
            if (wrong.empty() && lifecycle_done) wrong = "the generation stopped meanwhile";
            if (!wrong.empty()) {
                worker_handle w = std::move(worker);
                worker = {};
                died = false;
                lock.unlock();
                kill_and_reap(w.pid);
                w.link->close();
                lock.lock();
                crashed(pid, "the restarted worker failed: " + wrong, "exit");
                continue;
            }
            state = "serving";
            next_restart_at.reset();
            link->expect_from_now();
            spdlog::info("[{}] worker restarted: pid {} (restart {})", options.module, pid, restarts);
            ops::emit(options.services, "worker_restart", options.module, {{"pid", pid}, {"restarts", restarts}});
            continue;
        }
        const milliseconds interval(std::max<std::uint32_t>(10, options.limits.heartbeat_interval_ms));
        if (state == "serving" && worker.link && !died) {
            const auto silence = now - worker.link->last_pong();
            if (silence > interval + milliseconds(options.limits.heartbeat_timeout_ms)) {
                if (heartbeat_killed != worker.pid) {
                    heartbeat_killed = worker.pid;
                    ::kill(worker.pid, SIGKILL);  // its reader sees the end; `died` follows
                }
            } else {
                auto link = worker.link;
                lock.unlock();
                link->ping();
                lock.lock();
            }
        }
        auto wake = steady::now() + interval;
        if (restart_due) wake = std::min(wake, *restart_due);
        cv.wait_until(lock, wake, [&] { return stopping || died || (restart_due && steady::now() >= *restart_due); });
    }
}

}  // namespace berth::host::isolate
