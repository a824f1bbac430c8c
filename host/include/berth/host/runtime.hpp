// berth::host::runtime: the whole host as an object an application embeds.
//
//     auto cfg = berth::host::load_config("config/berth.json");   // check cfg.errors first
//     berth::host::runtime rt(*cfg.value);
//     rt.start();          // binds the admin and module ports, loads every module's plugin
//     ...                  // serve; rt.admin_port(), rt.modules() tell where
//     rt.stop();           // graceful: drains in-flight requests, unloads plugins
//
// A module whose plugin fails to load (or whose port cannot be bound) is reported, never
// fatal: the other modules serve. start() throws start_error when a file or directory it needs is not
// private (a key readable by others, a link where a key should be) or cannot be made, and
// std::system_error when the admin listener cannot be bound.
//
// start() changes two things for the whole process: it sets the umask to 077 (the runtime
// creates keys, databases and copies of plugins, and none of them is for anyone else), and it
// raises the soft RLIMIT_NOFILE to the hard limit (connections are capped below it).
#pragma once

#include <berth/host/config.hpp>
#include <berth/host/module_snapshot.hpp>

#include <cstdint>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

namespace berth::host {

class start_error : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

struct unload_result {
    std::string name;
    bool unloaded = false;  // the library really left the address space
    std::string detail;
};

// One step of a live config change, in the order it is applied.
struct plan_step {
    std::string action;  // add, remove, swap, re-port, reconfigure
    std::string module;
    std::string detail;  // a sentence for the operator
};

// What POST /config/reload, SIGHUP and berthctl config plan/apply report.
struct reload_report {
    std::vector<config_error> errors;  // the file is not valid: nothing was planned or changed
    std::vector<plan_step> plan;       // what the file changes; empty: nothing to do
    bool applied = false;              // the whole plan was applied
    // A step failed (an index into `plan`, from 0; answers and events count from 1): the plan
    // stopped there and the steps before it were undone in reverse.
    std::optional<std::size_t> failed_step;
    std::string failure;  // why it failed
    // After a failed step: every undo succeeded, so nothing the plan changed remains. False
    // when an undo failed too (each in `undo_failures`): the host runs part of the new file.
    bool rolled_back = false;
    std::vector<std::string> undo_failures;  // "step N (action module): why", as undone
    bool busy = false;    // another reload was running: nothing was read, planned or changed
};

class runtime {
public:
    explicit runtime(config cfg);
    ~runtime();  // stop()s if needed
    runtime(const runtime&) = delete;
    runtime& operator=(const runtime&) = delete;

    void start();
    // Idempotent. Returns, per library a module had loaded, whether it left the address space.
    std::vector<unload_result> stop();

    // Reads configuration().source_file again, validates it whole and plans what changes:
    // modules to add, remove, swap, re-port or re-configure; unchanged modules are untouched.
    // Applies the plan unless `dry_run`. Any thread; one reload at a time (a second one meanwhile
    // returns at once with `busy`). Blocks until the deploy thread has run it.
    reload_report reload_config(bool dry_run = false);

    // Every configured module is bound and serves a generation that reported ready (what
    // GET /readyz and sd_notify's READY=1 say). False before start() and after stop().
    bool ready() const;

    std::uint16_t admin_port() const;
    // The port a module's listener is bound to; nullopt for an unknown or unbound module.
    std::optional<std::uint16_t> module_port(const std::string& name) const;
    // Every configured module, as GET /modules on the admin API shows it.
    std::vector<module_snapshot> modules() const;
    const config& configuration() const;

    // The berthd version string.
    static const char* version();

private:
    struct impl;
    std::unique_ptr<impl> impl_;
};

}  // namespace berth::host
