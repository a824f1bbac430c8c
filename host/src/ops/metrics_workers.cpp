#include "ops/metrics_workers.hpp"

#include <memory>
#include <string>

namespace berth::host::ops {

namespace {

std::string text_field(const nlohmann::json& fields, const char* name) {
    auto f = fields.find(name);
    return f != fields.end() && f->is_string() ? f->get<std::string>() : std::string();
}

bool starts_with(const std::string& s, const char* prefix) { return s.rfind(prefix, 0) == 0; }

}  // namespace

std::string worker_exit_kind(const nlohmann::json& fields) {
    if (!fields.is_object()) return "other";
    for (const char* key : {"kind", "reason_kind"}) {
        const auto kind = text_field(fields, key);
        if (kind == "signal" || kind == "exit" || kind == "heartbeat") return kind;
    }
    // An event without the kind: its text, as the supervisor words it (never an unbounded label).
    const auto reason = text_field(fields, "reason");
    if (starts_with(reason, "killed: no heartbeat")) return "heartbeat";
    if (starts_with(reason, "killed by signal")) return "signal";
    if (starts_with(reason, "exited")) return "exit";
    return "other";
}

void count_worker_events(metrics& registry, telemetry& streams) {
    auto exits = std::make_shared<labelled_counter>(
        "berth_worker_exits_total",
        "Worker processes (isolation \"process\") that ended unplanned, by module and reason (signal, exit, heartbeat).",
        std::vector<std::string>{"module", "reason"});
    auto restarts = std::make_shared<labelled_counter>(
        "berth_worker_restarts_total", "Worker processes started again after an unplanned exit, by module.",
        std::vector<std::string>{"module"});
    streams.on_event([exits, restarts](const event& e) {
        if (e.kind == "worker_exit") exits->add({e.module, worker_exit_kind(e.fields)});
        else if (e.kind == "worker_restart") restarts->add({e.module});  // a restarted worker serves again
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
