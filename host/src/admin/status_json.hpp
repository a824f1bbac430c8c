// The admin API's JSON for a module (GET /modules/{name}, and inside swap answers), rendered
// from the module's typed snapshot. Operator-facing: it holds paths and loader text.
#pragma once

#include <berth/host/module_snapshot.hpp>

#include <nlohmann/json.hpp>

namespace berth::host::admin {

nlohmann::json to_json(const module_snapshot& s);

}  // namespace berth::host::admin
