// Making a module's next generation from a library file, every step of a swap up to the
// hand-over: policy, read, (unchanged?), copy, inspect, dlopen, descriptor, identity, create,
// describe, start, ready. The module publishes what this returns (plugin/module.hpp); on any
// failure nothing of the new build is left running.
#pragma once

#include "abi/host_services.hpp"
#include "deploy/library_file.hpp"
#include "plugin/generation.hpp"

#include <berth/host/config.hpp>

#include <chrono>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <variant>

namespace berth::host::deploy {

// The worker program for modules with isolation "process" (config worker_executable).
struct worker_program {
    std::filesystem::path path;  // empty: none was found
    std::string looked;          // where it was looked for, for the load failure that says so
};

// The configured path if given; else berth-worker beside the running executable, else
// ../libexec/berth/berth-worker from there (an installed tree).
worker_program resolve_worker(const std::filesystem::path& configured);

// Host-wide swap settings (config: drain_timeout_ms, ready_timeout_ms, deploy, worker_executable).
struct swap_settings {
    std::chrono::milliseconds drain_timeout{30'000};
    std::chrono::milliseconds ready_timeout{10'000};
    library_policy policy;
    worker_program worker;
};

// The module a generation is made for, as the steps need it.
struct swap_target {
    const module_config& config;
    const std::filesystem::path& data_dir;
    const plugin::generation* active;  // null when nothing serves
    std::uint64_t number;              // the new generation's number
    const abi::host_services* services;
    // The breaking-change gate, between describe and start (see generation::start); may be empty.
    std::function<bool(const pipeline::route_set&)> admit = {};
    // A new generation even from the active generation's file: a live config change of the
    // settings or database, which a plugin receives only when it is created.
    bool force_new = false;
};

// Whether a swap goes through the breaking-change gate (contract/compat.hpp) before it is
// published. Only an operator skips it (reload ?force=true); a file change never does.
enum class contract_gate { enforce, skip };

// The file holds exactly the active generation's build: nothing to do.
struct unchanged {};

using prepared = std::variant<std::shared_ptr<plugin::generation>, plugin::load_failure, unchanged>;

prepared prepare_generation(const std::filesystem::path& library, const swap_target& target,
                            const swap_settings& settings);

}  // namespace berth::host::deploy
