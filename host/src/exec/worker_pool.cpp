#include "exec/worker_pool.hpp"

#include <immintrin.h>

namespace berth::host::exec {

namespace {

// The I/O thread and a worker each hold the queue's lock for a push or a pop only: a short
// spin before sleeping on it saves the futex wait and wake a contended std::mutex costs.
std::unique_lock<std::mutex> lock_spinning(std::mutex& m) {
    for (int i = 0; i < 64; ++i) {
        if (m.try_lock()) return std::unique_lock<std::mutex>(m, std::adopt_lock);
        _mm_pause();
    }
    return std::unique_lock<std::mutex>(m);
}

}  // namespace

worker_pool::worker_pool(unsigned threads) {
    threads_.reserve(threads == 0 ? 1 : threads);
    try {
        for (unsigned i = 0; i < (threads == 0 ? 1 : threads); ++i) threads_.emplace_back([this] { run(); });
    } catch (...) {
        join();  // the threads made so far: a joinable std::thread destroyed would terminate
        throw;
    }
}

worker_pool::~worker_pool() { join(); }

void worker_pool::post(std::function<void()> task) {
    auto lock = lock_spinning(mutex_);
    if (joining_) return;
    tasks_.push_back(std::move(task));
    // A worker that is awake takes the task when it finishes its own: waking one (a futex call
    // and a context switch) is only worth it when every worker sleeps or is already claimed.
    if (sleeping_ > signalled_) {
        ++signalled_;
        lock.unlock();
        wake_.notify_one();
    }
}

void worker_pool::run() {
    auto lock = lock_spinning(mutex_);
    for (;;) {
        while (tasks_.empty() && !joining_) {
            ++sleeping_;
            wake_.wait(lock);
            --sleeping_;
            if (signalled_) --signalled_;
        }
        if (tasks_.empty()) return;  // joining, and nothing left to run
        auto task = std::move(tasks_.front());
        tasks_.pop_front();
        lock.unlock();
        task();
        task = nullptr;  // what it captured goes now, not under the lock
        lock = lock_spinning(mutex_);
    }
}

void worker_pool::join() {
    std::call_once(joined_, [this] {
        {
            std::lock_guard lock(mutex_);
            joining_ = true;
        }
        wake_.notify_all();
        for (auto& t : threads_) t.join();
    });
}

}  // namespace berth::host::exec
