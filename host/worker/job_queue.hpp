// A bounded queue run by a fixed set of threads: the worker's lifecycle thread (one) and its
// handler pool (`threads` of them). The threads are never joined: the worker ends by _exit.
#pragma once

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <mutex>

namespace berth::worker {

class job_queue {
public:
    explicit job_queue(std::size_t capacity) : capacity_(capacity) {}
    job_queue(const job_queue&) = delete;
    job_queue& operator=(const job_queue&) = delete;

    // Starts `threads` threads (once). Jobs pushed before wait for them. Throws
    // std::system_error when not one thread could start (e.g. under a tight RLIMIT_AS).
    void run(unsigned threads);
    // False when the queue holds `capacity` jobs already.
    bool push(std::function<void()> job);

private:
    void serve();

    std::size_t capacity_;
    std::mutex mutex_;
    std::condition_variable ready_;
    std::deque<std::function<void()>> jobs_;
    bool running_ = false;
};

}  // namespace berth::worker
