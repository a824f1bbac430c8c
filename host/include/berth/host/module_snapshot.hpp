// What a module looks like from outside at one moment: its state, the generation serving it
// (and older ones serving other majors), the one a rollback returns to, those still draining
// or retained, and its counters. The admin API renders it as JSON (GET /modules); an embedder
// reads it from runtime::modules().
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace berth::host {

enum class module_state { loading, serving, failed, stopped };
const char* to_string(module_state s);

// Why the last load or swap failed: the step (policy, read, elf, copy, inspect, dlopen,
// descriptor, create, describe, start, ready, listen) and a sentence naming the file.
struct module_error {
    std::string step;
    std::string message;
};

// A generation's worker process (isolation "process"; docs/operations.md "Process isolation").
struct worker_snapshot {
    int pid = 0;                // 0 while none runs
    std::string state;          // starting, serving, restarting, failed, stopped
    std::uint32_t restarts = 0; // since the generation started
    std::string last_exit;      // how the last worker ended ("killed by signal 11 (SIGSEGV)", ...); empty: none did
    std::optional<std::chrono::system_clock::time_point> last_exit_at;
    std::optional<std::chrono::system_clock::time_point> next_restart_at;  // while restarting
};

struct generation_snapshot {
    std::uint64_t number = 0;
    std::string plugin;   // the name the plugin declares
    std::string version;  // the version the plugin declares
    std::string sha256;   // of the library file
    // The file it was loaded from: the configured path, a path given to reload, or (for a
    // rollback) the host's shadow copy of the build it restores.
    std::filesystem::path source;
    std::optional<std::uint64_t> restores;  // a rollback: the generation whose build this is
    std::chrono::system_clock::time_point loaded_at;
    std::size_t in_flight = 0;
    std::vector<int> serves_majors;  // the majors it serves now (ascending); none once draining
    std::string isolation = "in-process";  // or "process"
    std::optional<worker_snapshot> worker; // set for isolation "process"
};

struct draining_snapshot {
    generation_snapshot generation;
    std::chrono::system_clock::time_point since;
    bool cut_off = false;  // its drain deadline passed: its requests were answered 503
};

struct retained_snapshot {
    std::uint64_t number = 0;
    std::string version, sha256;
    std::string reason;  // why its library could not be unloaded
    std::chrono::system_clock::time_point at;
};

// A change from the active build's contract to a new build's that would break a client of it
// (the breaking-change gate; docs/contracts.md "What is breaking"). `pointer` is a JSON pointer
// rooted at the operation: "" (the operation), /request/..., /query/..., /responses/{status}/...,
// /auth/scopes/{i}, /callers.
struct contract_change {
    std::string kind;  // operation_removed, required_added, type_narrowed, ... (see the docs)
    std::string method, path;
    std::string pointer;
    std::string message;
};

// The last swap the breaking-change gate refused: the new build was shut down, the active
// generation kept serving.
struct refusal_snapshot {
    std::chrono::system_clock::time_point at;
    std::string trigger;            // "admin API", "file change"
    std::filesystem::path library;  // the file of the refused build
    std::size_t count = 0;          // breaking changes found; `changes` lists the first 100
    std::vector<contract_change> changes;
};

struct module_counters {
    std::uint64_t swaps = 0, swap_failures = 0, unchanged = 0, rollbacks = 0, unloaded = 0, retained = 0,
                  cut_off = 0, refused_at_capacity = 0, retires = 0;
    std::uint64_t refused_breaking = 0;  // swaps the breaking-change gate refused
};

struct module_snapshot {
    std::string name;
    std::string address;
    std::uint16_t port = 0;  // as bound; the configured port when binding failed (see bound)
    bool bound = false;
    // Bound and serving a generation that reported ready (GET /readyz counts it).
    bool ready = false;
    module_state state = module_state::loading;
    std::filesystem::path configured_library;  // what boot, a file change and a bare reload load
    std::optional<generation_snapshot> active;
    std::optional<generation_snapshot> previous;  // what POST .../rollback returns to
    // Older generations still serving majors the active one does not (majors side by side).
    std::vector<generation_snapshot> older;
    std::map<int, std::uint64_t> majors;  // each major served -> the number of the generation serving it
    std::vector<draining_snapshot> draining;
    std::vector<retained_snapshot> retained;
    std::optional<module_error> last_error;
    std::optional<refusal_snapshot> last_refusal;  // the breaking-change gate's, if any
    std::size_t queued_or_running = 0;  // requests admitted to the module's handler threads
    module_counters counters;
};

}  // namespace berth::host
