#include "deploy/swap.hpp"

#include "isolate/isolated_plugin.hpp"

#include <unistd.h>

#include <system_error>

namespace berth::host::deploy {

namespace fs = std::filesystem;

worker_program resolve_worker(const fs::path& configured) {
    if (!configured.empty()) return {configured, configured.string()};
    std::error_code ec;
    const auto self = fs::read_symlink("/proc/self/exe", ec);
    if (ec) return {{}, "beside the running executable (unknown: /proc/self/exe is unreadable)"};
    const auto beside = self.parent_path() / "berth-worker";
    const auto installed = (self.parent_path() / ".." / "libexec" / "berth" / "berth-worker").lexically_normal();
    for (const auto& p : {beside, installed})
        if (::access(p.c_str(), X_OK) == 0) return {p, p.string()};
    return {{}, beside.string() + " and " + installed.string()};
}

namespace {

// What a module with isolation "process" gives its worker; its failure when there is no worker program.
std::variant<isolate::worker_options, plugin::load_failure> worker_options_for(const swap_target& target,
                                                                             const swap_settings& settings) {
    if (settings.worker.path.empty())
        return plugin::load_failure{"worker", "module '" + target.config.name +
                                                  "' has isolation \"process\" but there is no worker program (looked for " +
                                                  settings.worker.looked + "; config worker_executable)"};
    isolate::worker_options o;
    o.executable = settings.worker.path;
    o.module = target.config.name;
    o.data_dir = target.data_dir;
    o.threads = std::max(1u, target.config.limits.max_in_flight);
    o.limits = target.config.process;
    o.ready_timeout = settings.ready_timeout;
    o.handler_timeout = std::chrono::milliseconds(target.config.limits.handler_timeout_ms);
    o.services = target.services;
    return o;
}

}  // namespace

prepared prepare_generation(const std::filesystem::path& library, const swap_target& target,
                            const swap_settings& settings) {
    auto image = read_library(library, settings.policy);
    if (auto* f = std::get_if<plugin::load_failure>(&image)) return std::move(*f);
    auto& img = std::get<plugin::file_image>(image);
    // A module whose worker failed past its restart budget gets a new generation even from the
    // same build: an operator's reload is what clears `failed`.
    const bool worker_failed = target.active && target.active->library()->isolated() &&
                               target.active->library()->isolated()->status().state == "failed";
    if (!target.force_new && !worker_failed && target.active && target.active->library()->sha256() == img.sha256)
        return unchanged{};

    std::optional<isolate::worker_options> worker;
    if (target.config.isolation == isolation::process) {
        auto o = worker_options_for(target, settings);
        if (auto* f = std::get_if<plugin::load_failure>(&o)) return std::move(*f);
        worker = std::get<isolate::worker_options>(std::move(o));
    }
    auto opened = plugin::plugin_library::open(img, target.data_dir / "shadow", target.config.name,
                                               worker ? &*worker : nullptr);
    if (auto* f = std::get_if<plugin::load_failure>(&opened)) return std::move(*f);
    auto lib = std::get<std::shared_ptr<plugin::plugin_library>>(std::move(opened));

    // A module keeps its identity: another plugin behind the same name (and database) is refused
    // before anything of it runs.
    const std::string declared = lib->descriptor().name;
    const std::string expected = !target.config.plugin.empty() ? target.config.plugin
                                 : target.active                ? target.active->plugin_name()
                                                                : declared;
    if (declared != expected)
        return plugin::load_failure{"describe", library.string() + " is plugin '" + declared + "', but module '" +
                                                    target.config.name + "' serves plugin '" + expected + "'"};

    auto started = plugin::generation::start(std::move(lib), target.config, target.data_dir, target.number,
                                             settings.ready_timeout, target.services, target.admit);
    if (auto* f = std::get_if<plugin::load_failure>(&started)) return std::move(*f);
    return std::get<std::shared_ptr<plugin::generation>>(std::move(started));
}

}  // namespace berth::host::deploy
