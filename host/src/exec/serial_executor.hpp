// A thread that runs posted tasks one at a time, and a tick: the deploy thread (deploy/deployer)
// runs on one. Loads, swaps, drains and unloads run here, one at a time, never on
// an I/O or worker thread, and never from a stack that holds plugin frames.
#pragma once

#include <chrono>
#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>

namespace berth::host::exec {

class serial_executor {
public:
    // `tick` runs every `period` while the executor runs (after queued tasks).
    serial_executor(std::chrono::milliseconds period, std::function<void()> tick);
    ~serial_executor();  // stop()
    serial_executor(const serial_executor&) = delete;
    serial_executor& operator=(const serial_executor&) = delete;

    void start();
    // Runs the task on this executor's thread; false (and the task is dropped) once stopped.
    bool post(std::function<void()> task);
    // Runs what is queued, then joins. Idempotent.
    void stop();

private:
    void run();

    std::chrono::milliseconds period_;
    std::function<void()> tick_;
    std::mutex mutex_;
    std::condition_variable wake_;
    std::deque<std::function<void()>> tasks_;
    bool stopping_ = false;
    std::thread thread_;
};

}  // namespace berth::host::exec
