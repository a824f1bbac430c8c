// The threads that run plugin code (and, later, database work): never the I/O threads.
#pragma once

#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace berth::host::exec {

class worker_pool {
public:
    explicit worker_pool(unsigned threads);
    ~worker_pool();  // joins
    worker_pool(const worker_pool&) = delete;
    worker_pool& operator=(const worker_pool&) = delete;

    void post(std::function<void()> task);
    // Runs what is queued, then joins the threads; later posts are dropped.
    void join();

private:
    void run();

    std::mutex mutex_;  // guards what follows
    std::condition_variable wake_;
    std::deque<std::function<void()>> tasks_;
    unsigned sleeping_ = 0;  // workers waiting on wake_
    unsigned signalled_ = 0; // wake-ups sent and not yet taken: a sleeper is signalled once
    bool joining_ = false;
    std::vector<std::thread> threads_;
    std::once_flag joined_;
};

}  // namespace berth::host::exec
