#include "ops/metrics_requests.hpp"

#include <mutex>
#include <tuple>

namespace berth::host::ops {

namespace {

constexpr std::array<const char*, 6> class_names{"1xx", "2xx", "3xx", "4xx", "5xx", "other"};

std::size_t class_of(int status) {
    return status >= 100 && status < 600 ? static_cast<std::size_t>(status / 100 - 1) : 5;
}

}  // namespace

request_metrics::child& request_metrics::find(key_view k) {
    {
        std::shared_lock lock(mutex_);
        if (auto it = children_.find(k); it != children_.end()) return *it->second;
    }
    std::unique_lock lock(mutex_);
    if (auto it = children_.find(k); it != children_.end()) return *it->second;
    if (children_.size() >= max_children) k = {"_overflow", 0, "_overflow"};
    auto [it, _] = children_.try_emplace(key{std::string(k.module), k.major, std::string(k.route)});
    if (!it->second) it->second = std::make_unique<child>();
    return *it->second;
}

void request_metrics::observe(const request_record& r) {
    auto& c = find({r.module, r.major, r.route});
    c.by_class[class_of(r.status)].fetch_add(1, std::memory_order_relaxed);
    c.latency.observe(r.duration);
}

void request_metrics::collect(exposition& out) const {
    out.family("berth_requests_total", exposition::kind::counter,
               "Requests answered on module ports, by module, major version, route template and status class.");
    out.family("berth_request_duration_seconds", exposition::kind::histogram,
               "Time from a request's arrival to its answer, by module and route template.");
    std::map<std::pair<std::string, std::string>, histogram::totals> latency;
    std::shared_lock lock(mutex_);
    for (auto& [k, c] : children_) {
        for (std::size_t i = 0; i < class_names.size(); ++i) {
            const auto n = c->by_class[i].load(std::memory_order_relaxed);
            if (n == 0) continue;
            out.sample("berth_requests_total",
                       {{"module", k.module}, {"major", std::to_string(k.major)}, {"route", k.route},
                        {"status_class", class_names[i]}},
                       static_cast<double>(n));
        }
        latency[{k.module, k.route}] += c->latency.read();
    }
    for (auto& [mr, totals] : latency) out.sample("berth_request_duration_seconds", {{"module", mr.first}, {"route", mr.second}}, totals);
}

}  // namespace berth::host::ops
