// A plugin served from a worker process (isolation "process"): the host side. It spawns the
// worker (berth-worker) with the library image as a sealed memfd, loads it there, and stands in
// for the plugin's descriptor: the generation and the pipeline call the same entry points as
// in-process (create .. destroy, handle) and each one crosses the channel (isolate/protocol.hpp).
// It supervises the worker: heartbeat, restart with backoff after a crash, `failed` past the
// restart budget, and a stop that always reaps.
#pragma once

#include "abi/host_services.hpp"
#include "plugin/plugin_library.hpp"

#include <berth/abi.h>
#include <berth/host/config.hpp>
#include <berth/host/module_snapshot.hpp>

#include <chrono>
#include <filesystem>
#include <memory>
#include <string>
#include <variant>

namespace berth::host::isolate {

// Everything a worker needs besides the library image.
struct worker_options {
    std::filesystem::path executable;  // berth-worker (config worker_executable, resolved)
    std::string module;
    std::filesystem::path data_dir;
    unsigned threads = 4;              // the worker's handler threads: the module's max_in_flight
    worker_config limits;              // the module's "process" block
    // Bounds every lifecycle call but a first start (load, create, describe, ready, stop, destroy)
    // and a restarted worker's start (max(ready_timeout, 60 s)). Config ready_timeout_ms.
    std::chrono::milliseconds ready_timeout{10'000};
    // How long handle() waits for the worker's answer (the module's limits.handler_timeout_ms):
    // past it the worker is ended and restarted, as only a process can stop a stuck handler.
    std::chrono::milliseconds handler_timeout{30'000};
    const abi::host_services* services = nullptr;  // events (ops::emit); may be null in tests
};

class isolated_plugin {
public:
    // Spawns a worker and loads the image there (steps "worker": could not start or died while
    // loading; "dlopen" and "descriptor" as the worker reports them). Nothing is left running on
    // failure. The image must already have passed the host's read, elf, copy and inspect steps.
    static std::variant<std::shared_ptr<isolated_plugin>, plugin::load_failure> launch(const plugin::file_image& image,
                                                                                     worker_options options);
    ~isolated_plugin();  // stop_worker()
    isolated_plugin(const isolated_plugin&) = delete;
    isolated_plugin& operator=(const isolated_plugin&) = delete;

    // The stand-in descriptor: name, version and fingerprint as the worker read them from the
    // plugin (checked again here), entry points that cross the channel. Its `instance` is this.
    const berth_plugin_descriptor& descriptor() const;

    // The descriptor's create() takes no context, so the generation calls this one instead. It
    // keeps `host` and a copy of `args`: a restarted worker is created again with them.
    int create(const berth_host_api* host, const berth_create_args* args, void** instance, const berth_writer* error);

    worker_snapshot status() const;

    // Ends the worker: closes the channel and SIGTERMs it at once, SIGKILLs its process group after
    // limits.stop_timeout_ms, reaps. Requests in flight return at once. Idempotent. What
    // plugin_library::unload reports for an isolated library; module::reap calls it at a drain cut-off.
    plugin::unload_report stop_worker();

    struct impl;  // isolate/isolated_plugin.cpp and its parts
    friend struct stand_in;  // the descriptor's entry points (isolate/isolated_entry.cpp)

private:
    isolated_plugin() = default;
    std::unique_ptr<impl> impl_;
};

// Codes the stand-in handle() returns besides BERTH_OK and BERTH_ERROR; pipeline/handler_stage
// turns them into answers. Host-internal: never part of the ABI a plugin sees.
inline constexpr int worker_lost = 0x42500001;         // sent, and the worker ended before answering: 502
inline constexpr int worker_unavailable = 0x42500002;  // never sent (restarting, failed, link gone): 503
// Whether `d` is an isolated plugin's stand-in: only its handle() may return the codes above (a
// plugin returning them gets the answer of any other failure).
bool is_stand_in(const berth_plugin_descriptor& d);

}  // namespace berth::host::isolate
