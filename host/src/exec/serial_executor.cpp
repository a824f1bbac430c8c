#include "exec/serial_executor.hpp"

#include <spdlog/spdlog.h>

namespace berth::host::exec {

serial_executor::serial_executor(std::chrono::milliseconds period, std::function<void()> tick)
    : period_(period), tick_(std::move(tick)) {}

serial_executor::~serial_executor() { stop(); }

void serial_executor::start() {
    if (!thread_.joinable()) thread_ = std::thread([this] { run(); });
}

bool serial_executor::post(std::function<void()> task) {
    {
        std::lock_guard lock(mutex_);
        if (stopping_) return false;
        tasks_.push_back(std::move(task));
    }
    wake_.notify_one();
    return true;
}

void serial_executor::stop() {
    {
        std::lock_guard lock(mutex_);
        stopping_ = true;
    }
    wake_.notify_one();
    if (thread_.joinable()) thread_.join();
}

void serial_executor::run() {
    auto next_tick = std::chrono::steady_clock::now() + period_;
    for (;;) {
        std::function<void()> task;
        {
            std::unique_lock lock(mutex_);
            wake_.wait_until(lock, next_tick, [&] { return stopping_ || !tasks_.empty(); });
            if (!tasks_.empty()) {
                task = std::move(tasks_.front());
                tasks_.pop_front();
            } else if (stopping_) {
                return;
            }
        }
        try {
            if (task) task();
            if (std::chrono::steady_clock::now() >= next_tick) {
                next_tick = std::chrono::steady_clock::now() + period_;
                if (tick_) tick_();
            }
        } catch (const std::exception& e) {
            spdlog::error("deploy task failed: {}", e.what());
        }
    }
}

}  // namespace berth::host::exec
