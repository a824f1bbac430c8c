// runtime::impl: what the runtime holds, shared by runtime.cpp (start, stop), runtime_modules.cpp
// (a module added or removed while the host runs) and runtime_reload.cpp (live config).
#pragma once

#include <berth/host/runtime.hpp>

#include "abi/host_services.hpp"
#include "admin/admin_api.hpp"
#include "admin/lifecycle.hpp"
#include "auth/revocations.hpp"
#include "auth/token_service.hpp"
#include "deploy/deployer.hpp"
#include "net/server.hpp"
#include "ops/metrics.hpp"
#include "ops/logging_streams.hpp"
#include "ops/telemetry.hpp"
#include "pipeline/docs_assets.hpp"
#include "plugin/module_set.hpp"

#include <atomic>
#include <map>
#include <memory>
#include <string>
#include <variant>

namespace berth::host {

struct runtime::impl final : admin::lifecycle {
    config cfg;  // as given to start(), defaults filled in (configuration())
    // Before everything that reports to it: destroyed after all of them.
    ops::telemetry telemetry;
    std::shared_ptr<ops::metrics> metrics;  // GET /metrics; fed by telemetry
    std::unique_ptr<ops::log_streams> logs;  // the access and event logs (config logging); fed by telemetry
    // Declared before the server: the server (and its I/O threads) stops first.
    std::unique_ptr<net::server> server;
    std::shared_ptr<plugin::module_set> modules = std::make_shared<plugin::module_set>();
    std::shared_ptr<admin::admin_api> admin;
    std::shared_ptr<net::listener_handle> admin_listener;
    // The deploy thread: loads, swaps, drains and unloads, one at a time, and the file watcher.
    std::unique_ptr<deploy::deployer> deployer;
    std::unique_ptr<auth::revocations> revocations;  // before tokens: outlives the service reading it
    std::unique_ptr<auth::token_service> tokens;
    abi::host_services services;
    std::shared_ptr<const pipeline::docs_assets> docs;
    deploy::swap_settings swap;
    bool started = false;
    bool stopped = false;

    // --- deploy thread only (and start/stop, when it does not run) ---
    // The config as it is now: cfg, then every add, remove and reload applied.
    config live;
    std::map<std::string, std::shared_ptr<net::listener_handle>> listeners;  // by module name
    std::atomic<bool> reloading{false};  // one reload at a time
    std::atomic<bool> stopping{false};   // stop() began: a running reload ends before its next step

    // What start() fills in that the file leaves to it (the admin token's file, each module's
    // handler threads): a config read again is compared with the running one after this.
    static void fill_defaults(config& c);
    // A new module for `pc` (with the docs) and its port bound, the module told its endpoint.
    // Its port not bound: no listener, and `listen_error` says why. Not yet in the module set.
    struct opened_module {
        std::shared_ptr<plugin::module> module;
        std::shared_ptr<net::listener_handle> listener;
        std::string listen_error;
    };
    opened_module open_module(const module_config& pc);
    // Binds and loads a new module; on any failure nothing of it is left (port closed, no
    // module, no shadow copy, no database file it created). Not yet in the module set.
    std::variant<std::shared_ptr<plugin::module>, plugin::load_failure> bring_up(const module_config& pc,
                                                                                const std::string& trigger);
    // bring_up, then the module serves: in the set, its listener kept, the watcher told.
    std::optional<plugin::load_failure> add(const module_config& pc, const std::string& trigger);
    // Out of the set, its port drained and closed, its generations unloaded. The database stays.
    admin::remove_result remove(const std::string& name, const std::string& why);
    // Binds `address:port` for the module, then drains and closes its old port.
    std::optional<plugin::load_failure> re_port(const std::string& name, const std::string& address,
                                                std::uint16_t port);

    reload_report reload_now(bool dry_run);  // runtime_reload.cpp

    // admin::lifecycle
    void add_module(nlohmann::json entry, std::function<void(admin::add_result)> done) override;
    void remove_module(std::string name, std::function<void(admin::remove_result)> done) override;
    void reload_config(bool dry_run, std::function<void(reload_report)> done) override;
};

}  // namespace berth::host
