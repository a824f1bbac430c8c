// The host's metrics registry, wired at start: request figures from the request stream, swap
// figures from the event stream, and tokens and the process read at scrape time. Module state
// (in-flight, queue, draining, retained) is added by the admin API, which knows the modules.
#pragma once

#include "ops/metrics.hpp"
#include "ops/telemetry.hpp"

#include <memory>

namespace berth::host::auth {
class token_service;
}

namespace berth::host::ops {

// Before the host serves (it registers telemetry observers). `tokens` may be null.
std::shared_ptr<metrics> make_host_metrics(telemetry& streams, const auth::token_service* tokens);

}  // namespace berth::host::ops
