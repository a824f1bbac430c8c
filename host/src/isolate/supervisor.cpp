// The supervisor thread of an isolated plugin: heartbeat, death by end of stream or by pid, the
// dead worker's reaping, restarts with backoff (100 ms doubling to 30 s) and `failed` past the
// restart budget. Events: worker_exit (a process ended), worker_restart (each attempt, outcome
// ok|failed|stopped), worker_failed.
#include "isolate/isolated_plugin_impl.hpp"

#include "isolate/protocol.hpp"
#include "ops/logging_events.hpp"

#include <spdlog/spdlog.h>

#include <signal.h>

#include <algorithm>
#include <functional>
#include <utility>
#include <vector>

namespace berth::host::isolate {

using nlohmann::json;
using steady = std::chrono::steady_clock;
using std::chrono::milliseconds;

namespace {

constexpr milliseconds first_backoff{100}, most_backoff{30'000};
// A restarted worker's start runs the plugin's start again (migrations): at least this long.
constexpr milliseconds least_restart_start{60'000};
// A worker whose reader saw end of stream is given this long to be seen exited (its fds close
// before its exit is waitable) before the host counts the end as its own doing.
constexpr milliseconds exit_grace{100};

milliseconds backoff(std::size_t crashes) {
    milliseconds d = first_backoff;
    for (std::size_t i = 1; i < crashes && d < most_backoff; ++i) d *= 2;
    return std::min(d, most_backoff);
}

// "60 s", "1.5 s": never rounded down to a window the operator did not configure.
std::string seconds_text(std::uint32_t ms) {
    std::string s = std::to_string(ms / 1000);
    if (ms % 1000 != 0) {
        std::string frac = std::to_string(1000 + ms % 1000).substr(1);
        while (frac.back() == '0') frac.pop_back();
        s += "." + frac;
    }
    return s + " s";
}

// Runs the lifecycle of a restarted worker: create with the kept settings, describe (must say
// what the first worker said), start, ready, each within its deadline. Empty: serving; else why not.
std::string bring_up(isolated_plugin::impl& d, worker_link& link) {
    std::string late;
    auto step = [&](json message, milliseconds limit) -> std::optional<json> {
        const std::string what = message["t"].get<std::string>();
        auto out = link.request(std::move(message), worker_link::clock::now() + limit);
        if (out.timed_out) late = "did not answer " + what + " within " + std::to_string(limit.count()) + " ms";
        if (!out.reply || !ok_reply(*out.reply)) return std::nullopt;
        return std::move(*out.reply);
    };
    auto failed = [&](const char* what) { return late.empty() ? std::string(what) + " failed" : late; };
    {
        std::shared_lock lock(d.host_mutex);
        if (!d.host) return "the generation was destroyed";
    }
    const milliseconds ready = d.options.ready_timeout;
    if (!step(json{{"t", msg::create}, {"settings", d.settings}, {"database", d.database}}, ready)) return failed("create");
    auto described = step(json{{"t", msg::describe}}, ready);
    if (!described) return failed("describe");
    {
        std::lock_guard lock(d.m);
        if (text_field(*described, "manifest") != d.manifest) return "its manifest differs from the first worker's";
    }
    if (!step(json{{"t", msg::start}}, std::max(ready, least_restart_start))) return failed("start");
    if (!step(json{{"t", msg::ready}}, ready)) return late.empty() ? "not ready within " + std::to_string(ready.count()) + " ms" : late;
    return {};
}

}  // namespace

void isolated_plugin::impl::supervise() {
    std::unique_lock lock(m);
    // Logs and events wait until `m` is released: status() takes it, and a sink may be slow.
    std::vector<std::function<void()>> later;
    auto flush = [&] {
        if (later.empty()) return;
        auto run = std::move(later);
        later.clear();
        lock.unlock();
        for (auto& f : run) f();
        lock.lock();
    };
    auto emit = [&](const char* kind, json fields) {
        later.push_back([this, kind, fields = std::move(fields)] { ops::emit(options.services, kind, options.module, fields); });
    };
    auto log = [&](spdlog::level::level_enum level, std::string text) {
        later.push_back([this, level, text = std::move(text)] { spdlog::log(level, "[{}] {}", options.module, text); });
    };
    // worker_failed follows the event that told why (worker_exit or worker_restart).
    bool failed_now = false;
    // A crash or a failed restart: counts it, then restarts later, or gives up (failed). With
    // `lock` held; returns what happens next, for the log.
    auto count = [&](const std::string& reason) -> std::string {
        const auto now = steady::now();
        last_exit = reason;
        last_exit_at = std::chrono::system_clock::now();
        crashes.push_back(now);
        const milliseconds window(options.limits.restart_window_ms);
        while (!crashes.empty() && now - crashes.front() > window) crashes.pop_front();
        if (crashes.size() > options.limits.max_restarts) {
            state = "failed";
            next_restart_at.reset();
            restart_due.reset();
            failed_reason = "the module's worker failed " + std::to_string(crashes.size()) + " times in " +
                            seconds_text(options.limits.restart_window_ms) + "; it stays down until a swap or reload";
            failed_now = true;
            return failed_reason;
        }
        const auto delay = backoff(crashes.size());
        state = "restarting";
        restart_due = now + delay;
        next_restart_at = std::chrono::system_clock::now() + delay;
        return "restart " + std::to_string(crashes.size()) + " of " + std::to_string(options.limits.max_restarts) +
               " in " + std::to_string(delay.count()) + " ms";
    };
    auto announce_failed = [&](pid_t pid) {
        if (!std::exchange(failed_now, false)) return;
        emit("worker_failed", {{"pid", pid}, {"reason", failed_reason}, {"restarts", restarts}});
    };
    // A restart attempt that did not end serving (the worker did not start, or failed its lifecycle).
    auto attempt_failed = [&](pid_t pid, const std::string& reason) {
        log(spdlog::level::err, reason + "; " + count(reason));
        emit("worker_restart", {{"pid", pid}, {"restarts", restarts}, {"outcome", "failed"}, {"reason", reason}});
        announce_failed(pid);
    };

    for (;;) {
        flush();
        if (stopping) return;
        const auto now = steady::now();
        if (died) {  // a worker that really ended: reaped here, and reported as worker_exit
            died = false;
            worker_handle w = std::move(worker);
            worker = {};
            const std::string note = std::exchange(death_note, {});
            const bool by_host = w.pid > 0 && host_killed == w.pid;
            std::string reason = std::exchange(host_note, {}), kind = std::exchange(host_kind, {});
            host_killed = 0;
            if (state == "serving") state = "restarting";  // while it is reaped: never "serving" without a worker
            lock.unlock();
            // Ended by itself (a crash, a kill from outside), or by the host: its own kill (by_host,
            // with its note) or a broken channel the reader gave up on (a bad frame, a flood).
            const bool own = by_host || has_exited(w.pid) ||
                             (note == "end of stream" && exits_within(w.pid, exit_grace));
            const int status = kill_and_reap(w.pid);
            if (w.link) w.link->close();
            lock.lock();
            if (!by_host) {
                reason = own ? exit_text(status) : "ended by the host: " + note;
                kind = !own ? "host" : killed_by_signal(status) ? "signal" : "exit";
            }
            const bool was_up = state == "restarting";
            std::string next;
            if (stopping || lifecycle_done || !was_up) {  // a planned end, or a worker that never served
                if (stopping || lifecycle_done) state = "stopped";
                last_exit = reason;
                last_exit_at = std::chrono::system_clock::now();
            } else {
                next = "; " + count(reason);
            }
            log(spdlog::level::err, "worker pid " + std::to_string(w.pid) + " ended: " + reason + next);
            emit("worker_exit",
                 {{"pid", w.pid}, {"reason", reason}, {"reason_kind", kind}, {"restarts", restarts}, {"state", state}});
            announce_failed(w.pid);
            continue;
        }
        if (restart_due && now >= *restart_due && !lifecycle_done) {
            restart_due.reset();
            ++restarts;  // an attempt: the API's restarts and berth_worker_restarts_total count the same
            lock.unlock();
            auto loaded = spawn_and_load(nullptr);
            lock.lock();
            if (auto* f = std::get_if<plugin::load_failure>(&loaded)) {
                attempt_failed(0, "the restart failed at step " + f->step + ": " + f->message);
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
            if (stopping || worker.link != link) continue;  // stop_worker took it
            if (died) {  // it ended while starting: the died path reaps it and tells how
                emit("worker_restart", {{"pid", pid}, {"restarts", restarts}, {"outcome", "failed"},
                                        {"reason", "the restarted worker ended while starting"}});
                continue;
            }
            const bool abandoned = wrong.empty() && lifecycle_done;  // the generation stopped meanwhile
            if (!wrong.empty() || abandoned) {
                worker_handle w = std::move(worker);
                worker = {};
                host_killed = 0;
                lock.unlock();
                kill_and_reap(w.pid);
                w.link->close();
                lock.lock();
                if (abandoned) {
                    state = "stopped";
                    emit("worker_restart", {{"pid", pid}, {"restarts", restarts}, {"outcome", "stopped"}});
                    continue;
                }
                attempt_failed(pid, "the restarted worker failed: " + wrong);
                continue;
            }
            state = "serving";
            next_restart_at.reset();
            link->expect_from_now();
            log(spdlog::level::info, "worker restarted: pid " + std::to_string(pid) + " (restart " + std::to_string(restarts) + ")");
            emit("worker_restart", {{"pid", pid}, {"restarts", restarts}, {"outcome", "ok"}});
            continue;
        }
        const milliseconds interval(std::max<std::uint32_t>(10, options.limits.heartbeat_interval_ms));
        // Death by pid too: a worker whose child holds its channel open ends no stream.
        if (worker.pid > 0 && !died && has_exited(worker.pid)) {
            died = true;
            death_note = "exited";
            continue;
        }
        if (state == "serving" && worker.link && !died) {
            const auto silence = now - worker.link->last_pong();
            if (silence > interval + milliseconds(options.limits.heartbeat_timeout_ms)) {
                if (host_killed != worker.pid) {
                    host_killed = worker.pid;
                    host_note = "killed: no heartbeat answer within " + std::to_string(options.limits.heartbeat_timeout_ms) + " ms";
                    host_kind = "heartbeat";
                    kill_group(worker.pid);  // its reader sees the end; `died` follows
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
