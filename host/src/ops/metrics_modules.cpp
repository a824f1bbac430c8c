#include "ops/metrics_modules.hpp"

#include "ops/metrics_workers.hpp"

#include <string>

namespace berth::host::ops {

void collect_modules(exposition& out, const std::vector<module_snapshot>& modules) {
    out.family("berth_in_flight_requests", exposition::kind::gauge,
               "Requests being served now, by module and generation.");
    out.family("berth_queued_requests", exposition::kind::gauge,
               "Requests admitted to a module and waiting for one of its handler threads.");
    out.family("berth_capacity_refusals_total", exposition::kind::counter,
               "Requests a module refused with 503 because its handler threads and queue were full.");
    out.family("berth_draining_generations", exposition::kind::gauge,
               "Generations replaced by a swap that still finish their requests.");
    out.family("berth_retained_libraries", exposition::kind::gauge,
               "Plugin libraries that could not be unloaded and stay mapped.");
    for (auto& s : modules) {
        const std::string& name = s.name;
        std::size_t running = 0;
        auto generation = [&](const generation_snapshot& g) {
            running += g.in_flight;
            out.sample("berth_in_flight_requests", {{"module", name}, {"generation", std::to_string(g.number)}},
                       static_cast<double>(g.in_flight));
        };
        if (s.active) generation(*s.active);
        for (auto& g : s.older) generation(g);
        for (auto& d : s.draining) generation(d.generation);
        const auto queued = s.queued_or_running > running ? s.queued_or_running - running : 0;
        out.sample("berth_queued_requests", {{"module", name}}, static_cast<double>(queued));
        out.sample("berth_capacity_refusals_total", {{"module", name}}, static_cast<double>(s.counters.refused_at_capacity));
        out.sample("berth_draining_generations", {{"module", name}}, static_cast<double>(s.draining.size()));
        out.sample("berth_retained_libraries", {{"module", name}}, static_cast<double>(s.retained.size()));
    }
    collect_workers(out, modules);
}

}  // namespace berth::host::ops
