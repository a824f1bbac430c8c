#include "job_queue.hpp"

#include <system_error>
#include <thread>

namespace berth::worker {

void job_queue::run(unsigned threads) {
    {
        std::lock_guard lock(mutex_);
        if (running_) return;
        running_ = true;
    }
    unsigned started = 0;
    for (unsigned i = 0; i < threads; ++i) {
        try {
            std::thread([this] { serve(); }).detach();
            ++started;
        } catch (const std::system_error&) {
            if (started == 0) throw;
            break;  // fewer threads than asked: requests queue a little longer
        }
    }
}

bool job_queue::push(std::function<void()> job) {
    {
        std::lock_guard lock(mutex_);
        if (jobs_.size() >= capacity_) return false;
        jobs_.push_back(std::move(job));
    }
    ready_.notify_one();
    return true;
}

void job_queue::serve() {
    for (;;) {
        std::function<void()> job;
        {
            std::unique_lock lock(mutex_);
            ready_.wait(lock, [this] { return !jobs_.empty(); });
            job = std::move(jobs_.front());
            jobs_.pop_front();
        }
        job();  // jobs catch their own exceptions: a throw here would end the worker
    }
}

}  // namespace berth::worker
