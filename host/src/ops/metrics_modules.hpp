// The module gauges of GET /metrics, read from the modules' snapshots at scrape time: requests
// in flight per generation, the queue, refusals at capacity, generations draining and
// libraries retained.
#pragma once

#include "ops/metrics.hpp"

#include <berth/host/module_snapshot.hpp>

#include <vector>

namespace berth::host::ops {

void collect_modules(exposition& out, const std::vector<module_snapshot>& modules);

}  // namespace berth::host::ops
