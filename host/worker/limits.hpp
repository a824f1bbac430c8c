// What confines a worker before any plugin code is mapped: resource limits, the user it runs
// as, no new privileges, and a process name that says which module it serves.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace berth::worker {

struct worker_limits {
    std::string module;
    std::uint64_t memory_limit_mb = 0;  // RLIMIT_AS; 0: none
    std::uint64_t max_open_files = 0;   // RLIMIT_NOFILE; 0: left as inherited
    std::string user;                   // empty: stay who we are
};

// Applies them in order: no core files, first for the OOM killer, open files, address space, user, no_new_privs, name.
// Returns why it could not (the load then fails at step "worker"); `notes` gets what the host
// log should say about limits that were skipped.
std::optional<std::string> apply_limits(const worker_limits& limits, std::vector<std::string>& notes);

}  // namespace berth::worker
