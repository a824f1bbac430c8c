// berthctl's command groups. Each adds its subcommands to the app; the one the user named sets
// `chosen`, which main runs once the options are parsed and the client is built.
#pragma once

#include "output.hpp"

#include <CLI/CLI.hpp>

#include <functional>

namespace berth::ctl {

using command = std::function<int(context&)>;

void add_module_commands(CLI::App& app, command& chosen);  // status, plugins, show, load, unload
void add_swap_commands(CLI::App& app, command& chosen);    // reload, rollback, retire
void add_config_commands(CLI::App& app, command& chosen);  // config plan, config apply
void add_ops_commands(CLI::App& app, command& chosen);     // metrics, logs, dashboard

// GET /modules answers {"modules": [...]} (and a bare list before issue 10): the list either way.
nlohmann::json module_list(const nlohmann::json& answer);
// A module table row set, as `plugins` and `status` print it.
void print_modules(const context& c, const nlohmann::json& modules);

}  // namespace berth::ctl
