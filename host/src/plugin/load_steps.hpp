// The steps a load or a swap can fail at, in the order they run (a load_failure's `step`; the
// `step` of load and swap events; docs/operations.md). Kept here, beside the loader, so that
// what reads steps (the swap metrics' `reason` label) has one list to follow.
#pragma once

#include <array>
#include <string_view>

namespace berth::host::plugin {

inline constexpr std::array<std::string_view, 14> load_steps = {
    "policy",     // deploy/library_file: allowed directories, owner, mode
    "read",       // the file read whole (size, type)
    "elf",        // an ELF shared object for this machine
    "copy",       // the shadow copy the generation maps
    "inspect",    // the ELF layout and the descriptor symbol
    "dlopen",     // mapped
    "descriptor", // ABI version and fields checked
    "create",     // the plugin's create()
    "describe",   // routes, schemas, declared name: the contract
    "contract",   // the breaking-change gate
    "start",      // the plugin's start() (migrations run here)
    "ready",      // the plugin said it serves
    "listen",     // the module's port could not be bound
    "load",       // a new module's first generation failed without a loader step
};

// Whether `step` is one of load_steps.
constexpr bool is_load_step(std::string_view step) {
    for (auto s : load_steps)
        if (s == step) return true;
    return false;
}

}  // namespace berth::host::plugin
