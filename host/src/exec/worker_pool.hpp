// The threads that run plugin code (and, later, database work): never the I/O threads.
#pragma once

#include <functional>
#include <memory>

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
    struct impl;
    std::unique_ptr<impl> impl_;
};

}  // namespace berth::host::exec
