// emit(): one event from a place that reaches the telemetry through the host services
// (modules, the deploy thread); nothing when there is none (a module built alone in a test).
#pragma once

#include "abi/host_services.hpp"
#include "ops/telemetry.hpp"

#include <nlohmann/json.hpp>

#include <string>

namespace berth::host::ops {

inline void emit(const abi::host_services* services, std::string kind, std::string module, nlohmann::json fields) {
    if (services && services->telemetry) services->telemetry->emit(std::move(kind), std::move(module), std::move(fields));
}

}  // namespace berth::host::ops
