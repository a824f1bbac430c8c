// Berth SDK: a background task a plugin owns, started in start() and stopped in stop().
//
//     berth::periodic sweep_;                                         // a member
//     sweep_.start(std::chrono::seconds(5), [this] { expire(); });   // end of start(): runs now, then every 5 s
//     sweep_.stop();                                                  // first thing in stop(): wakes it, joins
//
// One plain std::thread, no thread_local state, nothing left running after stop(): the library
// can be unloaded right after. The work must catch and log its own errors; an exception that
// escapes it is swallowed so the thread keeps going. stop() waits for a run in progress to end.
#pragma once

#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <thread>
#include <utility>

namespace berth {

class periodic {
public:
    periodic() = default;
    periodic(const periodic&) = delete;
    periodic& operator=(const periodic&) = delete;
    ~periodic() { stop(); }

    void start(std::chrono::milliseconds every, std::function<void()> work) {
        stop();
        stopping_ = false;
        thread_ = std::thread([this, every, work = std::move(work)] {
            std::unique_lock<std::mutex> lock(mutex_);
            while (!stopping_) {
                lock.unlock();
                try {
                    work();
                } catch (...) {
                }
                lock.lock();
                wake_.wait_for(lock, every, [this] { return stopping_; });
            }
        });
    }

    void stop() {
        {
            std::lock_guard<std::mutex> lock(mutex_);
            stopping_ = true;
        }
        wake_.notify_all();
        if (thread_.joinable()) thread_.join();
    }

private:
    std::mutex mutex_;
    std::condition_variable wake_;
    bool stopping_ = false;
    std::thread thread_;
};

}  // namespace berth
