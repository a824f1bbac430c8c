// A module's isolation and worker keys ("isolation", "process": issue 11), and the worker rules a
// schema cannot state. Part of the config key table (config_table.hpp, config.cpp).
#pragma once

#include "config/config_table.hpp"

#include <berth/host/config.hpp>

#include <string>
#include <vector>

namespace berth::host::config_table {

// "/isolation" and "/process/..." of a module.
const std::vector<key<module_config>>& process_keys();

// A memory limit too small to load anything, a heartbeat deadline a worker answering every ping
// on time would still miss: errors under `at` (the module's pointer).
void check_process(const worker_config& w, const std::string& at, std::vector<config_error>& errors);

}  // namespace berth::host::config_table
