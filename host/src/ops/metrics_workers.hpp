// The worker figures of GET /metrics (issue 11, isolation "process"): exits and restart attempts
// counted from the events the supervisor emits, and whether each generation's worker serves,
// read from the module snapshots at scrape time.
#pragma once

#include "ops/metrics.hpp"
#include "ops/telemetry.hpp"

#include <berth/host/module_snapshot.hpp>

#include <vector>

namespace berth::host::ops {

// berth_worker_exits_total{module,reason} from `worker_exit` events, by their reason_kind, and
// berth_worker_restarts_total{module} from `worker_restart` events: one per restart attempt,
// whatever its outcome (the API's `restarts` counts the same).
void count_worker_events(metrics& registry, telemetry& streams);

// The bounded label an exit event is counted under: its reason_kind when it is one the
// supervisor gives (signal, exit, heartbeat, deadline, host), else "other". Never its text.
std::string worker_exit_kind(const nlohmann::json& fields);

// berth_worker_up{module,generation}: 1 while the generation's worker serves, 0 otherwise.
void collect_workers(exposition& out, const std::vector<module_snapshot>& modules);

}  // namespace berth::host::ops
