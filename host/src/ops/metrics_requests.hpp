// Request figures from the request stream (telemetry::on_request): counts by module, major,
// route template and status class, and latency by module and route template. One map lookup
// per request under a shared lock, then atomics; a new label set takes the exclusive lock once.
#pragma once

#include "ops/metrics.hpp"
#include "ops/telemetry.hpp"

#include <shared_mutex>

namespace berth::host::ops {

class request_metrics {
public:
    // Label sets past this many are counted under module/route "_overflow": route templates
    // and configured modules bound them long before, this bounds a host that is misused.
    static constexpr std::size_t max_children = 4096;

    void observe(const request_record& r);
    void collect(exposition& out) const;

private:
    struct key {
        std::string module;
        int major = 0;
        std::string route;
    };
    struct key_view {
        std::string_view module;
        int major = 0;
        std::string_view route;
    };
    struct less {
        using is_transparent = void;
        static key_view view(const key& k) { return {k.module, k.major, k.route}; }
        static key_view view(const key_view& k) { return k; }
        template <class A, class B>
        bool operator()(const A& a, const B& b) const {
            auto x = view(a), y = view(b);
            return std::tie(x.module, x.major, x.route) < std::tie(y.module, y.major, y.route);
        }
    };
    struct child {
        std::array<std::atomic<std::uint64_t>, 6> by_class{};  // 1xx..5xx, then anything else
        histogram latency;
    };
    child& find(key_view k);

    mutable std::shared_mutex mutex_;
    std::map<key, std::unique_ptr<child>, less> children_;
};

}  // namespace berth::host::ops
