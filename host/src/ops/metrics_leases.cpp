#include "ops/metrics_leases.hpp"

#include <mutex>

namespace berth::host::ops {

lease_metrics::child& lease_metrics::find(std::string_view module) {
    {
        std::shared_lock lock(mutex_);
        if (auto it = children_.find(module); it != children_.end()) return *it->second;
    }
    std::unique_lock lock(mutex_);
    if (auto it = children_.find(module); it != children_.end()) return *it->second;
    if (children_.size() >= max_children) module = "_overflow";
    auto [it, _] = children_.try_emplace(std::string(module));
    if (!it->second) it->second = std::make_unique<child>();
    return *it->second;
}

void lease_metrics::observe(std::string_view module, std::chrono::nanoseconds waited, bool granted) {
    auto& c = find(module);
    c.wait.observe(waited);
    if (!granted) c.timeouts.fetch_add(1, std::memory_order_relaxed);
}

void lease_metrics::collect(exposition& out) const {
    out.family("berth_db_lease_wait_seconds", exposition::kind::histogram,
               "Time a module waited for one of its database sessions, whether it got one or timed out.");
    out.family("berth_db_lease_timeouts_total", exposition::kind::counter,
               "Database leases that timed out (the request was answered 503), by module.");
    std::shared_lock lock(mutex_);
    for (auto& [module, c] : children_) {
        out.sample("berth_db_lease_wait_seconds", {{"module", module}}, c->wait.read());
        out.sample("berth_db_lease_timeouts_total", {{"module", module}},
                   static_cast<double>(c->timeouts.load(std::memory_order_relaxed)));
    }
}

}  // namespace berth::host::ops
