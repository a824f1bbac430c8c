// One plugin .so, loaded from a private shadow copy named by its content hash, with its
// descriptor checked before anything in it is called.
#pragma once

#include <berth/abi.h>
#include <berth/host/module_snapshot.hpp>

#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <variant>

namespace berth::host::isolate {
class isolated_plugin;
struct worker_options;
}  // namespace berth::host::isolate

namespace berth::host::plugin {

// Why a load failed: the step and the reason, naming the file. Operator-facing: it may hold
// paths and loader text, so it goes to the admin API and the log, never to a public port.
using load_failure = module_error;

// Whether an unload really unmapped the library, and if not, why we think so.
struct unload_report {
    bool unloaded = false;
    std::string detail;
};

// A plugin file read into memory once: what is hashed is exactly what gets copied and loaded.
struct file_image {
    std::filesystem::path source;
    std::string bytes;
    std::string sha256;
};

class plugin_library {
public:
    // Copies the image to shadow_dir/<module>-<sha256>.so, inspects and loads the copy
    // (RTLD_NOW | RTLD_LOCAL) and checks its descriptor (steps copy, inspect, dlopen, descriptor).
    // With `isolation` (a module with isolation "process"), copy and inspect run here but no
    // code of it is mapped into berthd: a worker process loads it (step "worker" too) and the
    // descriptor is the isolated plugin's stand-in.
    static std::variant<std::shared_ptr<plugin_library>, load_failure> open(
        const file_image& image, const std::filesystem::path& shadow_dir, const std::string& module,
        const isolate::worker_options* isolation = nullptr);
    ~plugin_library();
    plugin_library(const plugin_library&) = delete;
    plugin_library& operator=(const plugin_library&) = delete;

    const berth_plugin_descriptor& descriptor() const { return *descriptor_; }
    const std::filesystem::path& source() const { return source_; }
    const std::filesystem::path& shadow_path() const { return shadow_; }
    const std::string& sha256() const { return sha256_; }
    // The worker that serves it (isolation "process"); null in-process.
    isolate::isolated_plugin* isolated() const { return isolated_.get(); }

    // dlclose, then check that the copy is gone (RTLD_NOLOAD and /proc/self/maps); isolated,
    // stop the worker and reap it. Call only when nothing from the plugin is alive and no
    // plugin frame is on any stack.
    unload_report unload();

private:
    plugin_library() = default;
    struct impl;
    std::unique_ptr<impl> impl_;
    const berth_plugin_descriptor* descriptor_ = nullptr;
    std::shared_ptr<isolate::isolated_plugin> isolated_;
    std::filesystem::path source_, shadow_;
    std::string sha256_;
};

// Empty if this host can use a plugin with that descriptor; otherwise what differs.
std::optional<std::string> check_descriptor(const berth_plugin_descriptor& d);

// True while `path` is mapped into this process (read from /proc/self/maps).
bool is_mapped(const std::filesystem::path& path);

// Lowercase hex SHA-256 of a byte string.
std::string sha256_hex(std::string_view bytes);

}  // namespace berth::host::plugin
