#include "net/server.hpp"

#include "net/listener.hpp"
#include "net/server_state.hpp"
#include "net/session.hpp"

#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>

#include <algorithm>

namespace berth::host::net {

void answer_queue::push(std::shared_ptr<session> s, std::uint64_t seq, http::response r) {
    bool post;
    {
        std::lock_guard lock(mutex_);
        items_.push_back({std::move(s), seq, std::move(r)});
        post = !posted_;
        posted_ = true;
    }
    if (post) boost::asio::post(ioc_, [this] { drain(); });
}

void answer_queue::drain() {
    std::vector<item> batch;
    {
        std::lock_guard lock(mutex_);
        batch.swap(items_);
        items_.swap(spare_);
        posted_ = false;
    }
    for (auto& i : batch) session::answer(std::move(i.s), i.seq, std::move(i.r));
    batch.clear();
    std::lock_guard lock(mutex_);
    if (batch.capacity() > spare_.capacity()) spare_.swap(batch);
}

void answer_queue::clear() {
    std::vector<item> dropped, spare;
    {
        std::lock_guard lock(mutex_);
        dropped.swap(items_);
        spare.swap(spare_);
    }
}

void server::impl::arm_watchdog() {
    watchdog->expires_after(watchdog_period);
    watchdog->async_wait([this](boost::system::error_code ec) {
        if (ec || halted) return;
        const auto now = std::chrono::steady_clock::now();
        std::vector<std::shared_ptr<session>> overdue;
        {
            std::lock_guard lock(mutex);
            for (auto& [raw, weak] : sessions)
                if (raw->overdue(now))
                    if (auto s = weak.lock()) overdue.push_back(std::move(s));
        }
        for (auto& s : overdue) s->expire_handler();
        arm_watchdog();
    });
}

server::server(unsigned io_threads, std::size_t max_connections)
    : impl_(std::make_shared<impl>(io_threads, max_connections)) {}

server::~server() {
    stop(std::chrono::milliseconds(0));
    // Answers that arrived too late hold their sessions, whose sockets must go while the
    // io_context (and its services) still exist; then destroying the io_context destroys the
    // pending handlers, releasing the sessions they hold. The workers that push answers have
    // been joined by now (runtime::stop).
    impl_->answers.clear();
    impl_->watchdog.reset();
    impl_->ioc.reset();
}

std::shared_ptr<listener_handle> server::listen(const std::string& name, const std::string& address,
                                                std::uint16_t port, const limits_config& limits,
                                                std::shared_ptr<http_service> service, bool reserved) {
    auto l = std::make_shared<listener>(impl_, name, limits, std::move(service), reserved);
    l->bind(address, port);
    {
        std::lock_guard lock(impl_->mutex);
        impl_->listeners.push_back(l);
    }
    l->start();
    return l;
}

void server::run() {
    if (!impl_->threads.empty()) return;
    impl_->work.emplace(impl_->ioc->get_executor());
    impl_->watchdog = std::make_unique<boost::asio::steady_timer>(*impl_->ioc);
    impl_->arm_watchdog();
    for (unsigned i = 0; i < impl_->thread_count; ++i) impl_->threads.emplace_back([ioc = impl_->ioc.get()] { ioc->run(); });
}

void server::stop(std::chrono::milliseconds grace) {
    if (impl_->stopping.exchange(true)) return;
    std::vector<std::shared_ptr<listener>> listeners;
    std::vector<std::shared_ptr<session>> sessions;
    {
        std::lock_guard lock(impl_->mutex);
        for (auto& w : impl_->listeners)
            if (auto l = w.lock()) listeners.push_back(l);
        for (auto& [_, w] : impl_->sessions)
            if (auto s = w.lock()) sessions.push_back(s);
    }
    for (auto& l : listeners) l->close();
    for (auto& s : sessions) s->close_if_idle(false);
    sessions.clear();
    {
        // Every connection that had begun a request answers it and closes (idle ones were
        // closed above), or the grace period ends; one without a complete request header by
        // session::header_grace is closed then (a half-sent header cannot hold the stop).
        const auto deadline = std::chrono::steady_clock::now() + grace;
        const auto headless_at = std::chrono::steady_clock::now() + std::min(grace, std::chrono::milliseconds(session::header_grace));
        auto done = [&] { return impl_->in_flight == 0 && impl_->sessions.empty(); };
        std::unique_lock lock(impl_->mutex);
        if (!impl_->threads.empty() && !impl_->idle.wait_until(lock, headless_at, done)) {
            std::vector<std::shared_ptr<session>> headless;
            for (auto& [_, w] : impl_->sessions)
                if (auto s = w.lock()) headless.push_back(s);
            lock.unlock();
            for (auto& s : headless) s->close_if_headless();
            headless.clear();
            lock.lock();
            impl_->idle.wait_until(lock, deadline, done);
        }
        for (auto& [_, w] : impl_->sessions)
            if (auto s = w.lock()) sessions.push_back(s);
    }
    impl_->halted = true;
    for (auto& s : sessions) s->close_if_idle(true);
    sessions.clear();
    {
        // Let the I/O threads run the forced closes before they stop.
        std::unique_lock lock(impl_->mutex);
        if (!impl_->threads.empty())
            impl_->idle.wait_for(lock, std::chrono::milliseconds(200), [&] { return impl_->sessions.empty(); });
    }
    impl_->work.reset();
    impl_->ioc->stop();
    for (auto& t : impl_->threads) t.join();
    impl_->threads.clear();
}

}  // namespace berth::host::net
