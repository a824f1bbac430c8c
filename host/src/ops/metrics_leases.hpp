// Database lease figures from the modules (berth_host_api.report_lease_wait, ABI 1.2): how long
// each module's handlers waited for a database session, and how often they gave up. One map
// lookup per lease under a shared lock, then atomics; a new module takes the exclusive lock once.
#pragma once

#include "ops/metrics.hpp"

#include <shared_mutex>

namespace berth::host::ops {

class lease_metrics {
public:
    // Module names are configured, so they bound the labels; past this many, "_overflow".
    static constexpr std::size_t max_children = 1024;

    // Any thread.
    void observe(std::string_view module, std::chrono::nanoseconds waited, bool granted);
    void collect(exposition& out) const;

private:
    struct child {
        histogram wait;
        std::atomic<std::uint64_t> timeouts{0};
    };
    child& find(std::string_view module);

    mutable std::shared_mutex mutex_;
    std::map<std::string, std::unique_ptr<child>, std::less<>> children_;
};

}  // namespace berth::host::ops
