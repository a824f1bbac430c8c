#include "ops/metrics_workers.hpp"

#include "isolate/fields.hpp"

#include <algorithm>
#include <array>
#include <memory>
#include <string>
#include <string_view>

namespace berth::host::ops {

std::string worker_exit_kind(const nlohmann::json& fields) {
    static constexpr std::array<std::string_view, 5> kinds{"signal", "exit", "heartbeat", "deadline", "host"};
    auto kind = isolate::text_field(fields, "reason_kind");  // lenient: of another type, it is missing
    return std::find(kinds.begin(), kinds.end(), kind) != kinds.end() ? kind : "other";
}

void count_worker_events(metrics& registry, telemetry& streams) {
    auto exits = std::make_shared<labelled_counter>(
        "berth_worker_exits_total",
        "Worker processes (isolation \"process\") that ended unplanned, by module and reason (signal, exit, "
        "heartbeat, deadline, host).",
        std::vector<std::string>{"module", "reason"});
    auto restarts = std::make_shared<labelled_counter>(
        "berth_worker_restarts_total", "Attempts to start a module's worker again after it ended unplanned, by module.",
        std::vector<std::string>{"module"});
    streams.on_event([exits, restarts](const event& e) {
        if (e.kind == "worker_exit") exits->add({e.module, worker_exit_kind(e.fields)});
        else if (e.kind == "worker_restart") restarts->add({e.module});  // an attempt, whatever its outcome
    });
    registry.add_collector([exits](exposition& out) { exits->collect(out); });
    registry.add_collector([restarts](exposition& out) { restarts->collect(out); });
}

void collect_workers(exposition& out, const std::vector<module_snapshot>& modules) {
    out.family("berth_worker_up", exposition::kind::gauge,
               "1 while a generation's worker process serves, 0 while it starts, restarts or has failed.");
    for (auto& s : modules) {
        auto generation = [&](const generation_snapshot& g) {
            if (!g.worker) return;  // in-process: no worker to be up
            out.sample("berth_worker_up", {{"module", s.name}, {"generation", std::to_string(g.number)}},
                       g.worker->state == "serving" ? 1.0 : 0.0);
        };
        if (s.active) generation(*s.active);
        for (auto& g : s.older) generation(g);
        for (auto& d : s.draining) generation(d.generation);
    }
}

}  // namespace berth::host::ops
