// The deploy thread: every load, swap, rollback, drain and unload of every module runs here,
// one at a time, never on an I/O or handler thread and never from a stack holding plugin
// frames. Swaps come from boot, from the library watcher (a configured file replaced) and from
// the admin API; a tick reaps drained generations.
#pragma once

#include "deploy/library_watcher.hpp"
#include "deploy/swap.hpp"
#include "plugin/module.hpp"
#include "plugin/module_set.hpp"

#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

namespace berth::host::exec {
class serial_executor;
}

namespace berth::host::deploy {

class deployer {
public:
    // `modules` is read per use (a snapshot): modules added or removed later are followed.
    deployer(std::shared_ptr<plugin::module_set> modules, swap_settings settings, library_watcher::timing watch_timing);
    ~deployer();  // stop()
    deployer(const deployer&) = delete;
    deployer& operator=(const deployer&) = delete;

    // Loads every module whose port is bound, on the calling thread, before start().
    void boot();
    // Starts the deploy thread and the library watcher.
    void start();
    // No more swaps from file changes. Idempotent.
    void stop_watching();
    // Stops the watcher, runs what is queued, joins the thread. Idempotent.
    void stop();

    // Runs the task on the deploy thread; false (and the task is dropped) once stopped.
    bool post(std::function<void()> task);
    // Deploy thread only: the watcher follows the module set as it is now (after an add or a
    // remove). A file replaced in the instant between the two watchers is noticed only by a
    // later change.
    void rewatch();
    // Deploy thread only. A new generation of `m` made with `next` (its settings, database,
    // plugin), from next.library, even when that file is the active build; `m` takes `next`
    // as its config once it is published. A failure changes nothing.
    plugin::swap_result reconfigure(plugin::module& m, const module_config& next, const std::string& trigger) const;
    // Deploy thread only. Undoes a reconfigure: the build the active generation replaced, made
    // again with `before` (the config it had); nullopt when there is no previous build.
    std::optional<plugin::swap_result> restore(plugin::module& m, const module_config& before,
                                               const std::string& trigger) const;

    // Deploy thread only. Loads `library` (default: the configured path) as the module's next
    // generation and publishes it; the file of the active build is a no-op. On any failure
    // the active generation keeps serving, untouched, and the failure is recorded. A build
    // whose contract breaks the active one's is refused unless `gate` is skip (then the
    // changes are logged and returned with the result).
    plugin::swap_result reload(plugin::module& m, std::optional<std::filesystem::path> library,
                               const std::string& trigger, contract_gate gate = contract_gate::enforce) const;
    // Deploy thread only. Swaps to the build of the generation the active one replaced;
    // nullopt when there is none. A second rollback is a roll-forward, and says so. Not gated:
    // the build served before, and returning to it is the operator's way back.
    std::optional<plugin::swap_result> rollback(plugin::module& m) const;
    // Deploy thread only. Stops serving `major` on the older generation serving it, which
    // drains and is unloaded when it serves no other (plugin::module::retire).
    plugin::retire_result retire(plugin::module& m, int major) const;

private:
    // What in `next`'s contract breaks the clients of each major it serves, against the
    // generation serving that major now.
    static std::vector<contract_change> contract_changes(const plugin::module& m, const pipeline::route_set& next);
    plugin::swap_result swap(plugin::module& m, const std::filesystem::path& source, const std::string& trigger,
                             std::optional<std::uint64_t> restores, contract_gate gate,
                             const module_config* next_config = nullptr) const;

    std::shared_ptr<plugin::module_set> modules_;
    swap_settings settings_;
    library_watcher::timing watch_timing_;
    std::unique_ptr<exec::serial_executor> thread_;
    std::unique_ptr<library_watcher> watcher_;
    std::mutex watch_mutex_;         // rewatch() (deploy thread) against stop_watching() (stop)
    bool watching_stopped_ = false;  // stop_watching() ran: rewatch() starts nothing
};

}  // namespace berth::host::deploy
