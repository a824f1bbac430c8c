#include "exec/worker_pool.hpp"

#include <boost/asio/post.hpp>
#include <boost/asio/thread_pool.hpp>

namespace berth::host::exec {

struct worker_pool::impl {
    explicit impl(unsigned n) : pool(n == 0 ? 1 : n) {}
    boost::asio::thread_pool pool;
};

worker_pool::worker_pool(unsigned threads) : impl_(std::make_unique<impl>(threads)) {}
worker_pool::~worker_pool() { join(); }

void worker_pool::post(std::function<void()> task) { boost::asio::post(impl_->pool, std::move(task)); }

void worker_pool::join() { impl_->pool.join(); }

}  // namespace berth::host::exec
