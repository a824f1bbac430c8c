// What the listeners and sessions of one server share. Internal to net/.
#pragma once

#include "net/answer_queue.hpp"
#include "net/server.hpp"

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>

#include <atomic>
#include <condition_variable>
#include <mutex>
#include <optional>
#include <thread>
#include <unordered_map>
#include <vector>

namespace berth::host::net {

class listener;
class session;

struct server::impl {
    // Heap-held so ~server can destroy it (and the handlers that keep sessions alive) first.
    std::unique_ptr<boost::asio::io_context> ioc = std::make_unique<boost::asio::io_context>();
    answer_queue answers{*ioc};  // from worker threads back to the sessions
    std::optional<boost::asio::executor_work_guard<boost::asio::io_context::executor_type>> work;
    std::vector<std::thread> threads;
    unsigned thread_count;
    std::atomic<bool> stopping{false};  // no new connections or requests; grace period running
    std::atomic<bool> halted{false};    // the grace period is over

    // Connections open on listeners that count toward the server-wide cap.
    std::atomic<std::size_t> counted_connections{0};
    const std::size_t max_connections;

    // Requests read but not yet answered, across all listeners; stop() waits on it.
    std::mutex mutex;
    std::condition_variable idle;
    std::size_t in_flight = 0;
    std::unordered_map<session*, std::weak_ptr<session>> sessions;
    std::vector<std::weak_ptr<listener>> listeners;
    // Ticks every watchdog_period and answers handlers past their deadline: one timer for
    // the server instead of one armed and cancelled per request.
    std::unique_ptr<boost::asio::steady_timer> watchdog;
    static constexpr std::chrono::milliseconds watchdog_period{50};

    impl(unsigned n, std::size_t max_conn) : thread_count(n == 0 ? 1 : n), max_connections(max_conn) {}

    void arm_watchdog();
    void request_started() {
        std::lock_guard lock(mutex);
        ++in_flight;
    }
    void request_finished() {
        std::lock_guard lock(mutex);
        if (--in_flight == 0) idle.notify_all();
    }
};

}  // namespace berth::host::net
