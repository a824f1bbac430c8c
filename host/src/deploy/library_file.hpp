// Reading a plugin file under the deploy policy: every load (boot, file change, admin reload,
// rollback) goes through here, so no path, FIFO, device, oversize or foreign-owned file can
// block, exhaust or subvert the deploy thread.
#pragma once

#include "plugin/plugin_library.hpp"

#include <berth/host/config.hpp>

#include <cstdint>
#include <filesystem>
#include <variant>
#include <vector>

namespace berth::host::deploy {

struct library_policy {
    std::vector<std::filesystem::path> allowed_dirs;  // resolved (realpath) where they exist
    std::uint64_t max_bytes = 256ull * 1024 * 1024;
};

// Resolves each directory once (realpath); a directory that does not exist yet stays as given.
library_policy make_policy(const std::vector<std::filesystem::path>& dirs, std::uint64_t max_bytes);

// The policy a host with this config loads under: deploy.allowed_dirs (default: the configured
// libraries' directories) and always its own shadow directory, for rollbacks.
library_policy policy_for(const config& c);

// Steps: "policy" (outside the allowed directories, owned by another user, writable by group or
// others: the caller is not allowed this file), "read" (cannot open, not a regular file, too
// large) and "elf". The file is opened O_NONBLOCK | O_NOFOLLOW after realpath and checked with
// fstat on that descriptor, then read once: what is hashed is what gets copied and loaded.
std::variant<plugin::file_image, plugin::load_failure> read_library(const std::filesystem::path& file,
                                                                  const library_policy& policy);

}  // namespace berth::host::deploy
