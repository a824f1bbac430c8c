// The worker figures of GET /metrics (issue 11, isolation "process"): exits and restarts counted
// from the `worker_exit` events the supervisor emits, and whether each generation's worker
// serves, read from the module snapshots at scrape time.
#pragma once

#include "ops/metrics.hpp"
#include "ops/telemetry.hpp"

#include <berth/host/module_snapshot.hpp>

#include <vector>

namespace berth::host::ops {

// berth_worker_exits_total{module,reason} from `worker_exit` events: their kind ("kind", or
// "reason_kind") "signal" | "exit" | "heartbeat", else read from the reason text ("killed by
// signal", "exited", "killed: no heartbeat"); anything else is "other". And
// berth_worker_restarts_total{module} from `worker_restart` events (a restarted worker serves).
void count_worker_events(metrics& registry, telemetry& streams);

// The bounded label the reason of an exit event is counted under.
std::string worker_exit_kind(const nlohmann::json& fields);

// berth_worker_up{module,generation}: 1 while the generation's worker serves, 0 otherwise.
void collect_workers(exposition& out, const std::vector<module_snapshot>& modules);

}  // namespace berth::host::ops
