#include "deploy/deployer.hpp"

#include "exec/serial_executor.hpp"

namespace berth::host::deploy {

deployer::deployer(std::vector<std::shared_ptr<plugin::module>> modules, swap_settings settings,
                   library_watcher::timing watch_timing)
    : modules_(std::move(modules)),
      settings_(std::move(settings)),
      watch_timing_(watch_timing),
      thread_(std::make_unique<exec::serial_executor>(std::chrono::milliseconds(10), [modules = modules_] {
          for (auto& m : modules) m->reap();
      })) {}

deployer::~deployer() { stop(); }

void deployer::boot() {
    for (auto& m : modules_) {
        if (m->state() == module_state::failed) continue;  // its port could not be bound
        reload(*m, std::nullopt, "boot");
    }
}

void deployer::start() {
    thread_->start();
    std::vector<library_watcher::watched> watched;
    for (auto& m : modules_)
        if (m->config().watch) watched.push_back({m->config().name, m->config().library});
    watcher_ = std::make_unique<library_watcher>(std::move(watched), watch_timing_, [this](const std::string& name) {
        for (auto& m : modules_)
            if (m->config().name == name) post([this, m] { reload(*m, std::nullopt, "file change"); });
    });
    watcher_->start();
}

void deployer::stop_watching() {
    if (watcher_) watcher_->stop();
}

void deployer::stop() {
    stop_watching();
    thread_->stop();
}

bool deployer::post(std::function<void()> task) { return thread_->post(std::move(task)); }

plugin::swap_result deployer::swap(plugin::module& m, const std::filesystem::path& source, const std::string& trigger,
                                   std::optional<std::uint64_t> restores) const {
    auto next = [&] {
        auto active = m.active();  // held for the steps only: the published handle must not linger here
        return prepare_generation(source,
                                  swap_target{m.config(), m.data_dir(), active.get(), m.next_generation_number(),
                                              m.services()},
                                  settings_);
    }();
    if (auto* f = std::get_if<plugin::load_failure>(&next)) return m.record_failure(std::move(*f), trigger);
    if (std::holds_alternative<unchanged>(next)) return m.record_unchanged(source);
    return m.publish(std::get<std::shared_ptr<plugin::generation>>(std::move(next)), trigger, restores);
}

plugin::swap_result deployer::reload(plugin::module& m, std::optional<std::filesystem::path> library,
                                     const std::string& trigger) const {
    return swap(m, library.value_or(m.config().library), trigger, std::nullopt);
}

std::optional<plugin::swap_result> deployer::rollback(plugin::module& m) const {
    auto target = m.rollback_to();
    if (!target) return std::nullopt;
    return swap(m, target->shadow, "rollback", target->number);
}

plugin::retire_result deployer::retire(plugin::module& m, int major) const { return m.retire(major); }

}  // namespace berth::host::deploy
