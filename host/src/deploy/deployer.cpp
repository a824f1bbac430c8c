#include "deploy/deployer.hpp"

#include "contract/compat.hpp"
#include "exec/serial_executor.hpp"
#include "ops/logging_events.hpp"

#include <spdlog/spdlog.h>

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

namespace {

// The manifest with only the routes of one major (and everything they may refer to).
nlohmann::json only_major(const nlohmann::json& manifest, int major) {
    nlohmann::json out = manifest;
    out["routes"] = nlohmann::json::array();
    for (auto& r : manifest["routes"])
        if (pipeline::major_of(r["path"].get_ref<const std::string&>()) == major) out["routes"].push_back(r);
    return out;
}

}  // namespace

std::vector<contract_change> deployer::contract_changes(const plugin::module& m, const pipeline::route_set& next) {
    std::vector<contract_change> all;
    for (auto& [major, _] : next.majors) {
        auto serving = m.serving(major);
        if (!serving) continue;
        auto found = contract::breaking_changes(only_major(serving->routes().manifest, major), next.manifest);
        all.insert(all.end(), std::make_move_iterator(found.begin()), std::make_move_iterator(found.end()));
    }
    return all;
}

plugin::swap_result deployer::swap(plugin::module& m, const std::filesystem::path& source, const std::string& trigger,
                                   std::optional<std::uint64_t> restores, contract_gate gate) const {
    const std::uint64_t from = [&] {
        auto active = m.active();  // its number only: the handle must not linger here
        return active ? active->number() : 0;
    }();
    auto result = swap_steps(m, source, trigger, restores, gate);
    // One event per attempt: "load" at boot, "rollback", else "swap" (docs/operations.md, Events).
    nlohmann::json fields = {{"outcome", plugin::to_string(result.outcome)}, {"trigger", trigger}};
    if (result.failure) {
        fields["step"] = result.failure->step;
        fields["reason"] = result.failure->message;
    }
    if (result.outcome == plugin::swap_outcome::refused) {
        fields["step"] = "contract";
        fields["reason"] = std::to_string(result.breaking.size()) + " breaking change(s) to the contract";
        fields["breaking_changes"] = result.breaking.size();
    }
    if (from) fields["from_generation"] = from;
    if (auto active = m.active(); active && result.outcome == plugin::swap_outcome::swapped) {
        fields["to_generation"] = active->number();
        fields["version"] = active->version();
    }
    if (restores) fields["restores"] = *restores;
    if (result.outcome == plugin::swap_outcome::swapped && !result.breaking.empty())
        fields["breaking_changes"] = result.breaking.size();
    ops::emit(m.services(), trigger == "boot" ? "load" : restores ? "rollback" : "swap", m.config().name, std::move(fields));
    return result;
}

plugin::swap_result deployer::swap_steps(plugin::module& m, const std::filesystem::path& source, const std::string& trigger,
                                         std::optional<std::uint64_t> restores, contract_gate gate) const {
    // The breaking-change gate runs between describe and start: a refused build never runs its
    // start(), so it never migrates the database the serving generation uses. Each major the new
    // build serves is compared with the generation serving it now (with majors side by side, not
    // always the active one).
    std::vector<contract_change> breaking;
    auto admit = [&](const pipeline::route_set& routes) {
        breaking = contract_changes(m, routes);
        return breaking.empty() || gate != contract_gate::enforce;
    };
    auto next = [&] {
        auto active = m.active();  // held for the steps only: the published handle must not linger here
        return prepare_generation(source,
                                  swap_target{m.config(), m.data_dir(), active.get(), m.next_generation_number(),
                                              m.services(), admit},
                                  settings_);
    }();
    if (auto* f = std::get_if<plugin::load_failure>(&next)) {
        if (f->step == "contract") return m.record_refusal(std::move(breaking), trigger, source);
        return m.record_failure(std::move(*f), trigger);
    }
    if (std::holds_alternative<unchanged>(next)) return m.record_unchanged(source);
    auto gen = std::get<std::shared_ptr<plugin::generation>>(std::move(next));
    auto result = m.publish(std::move(gen), trigger, restores);
    if (!breaking.empty()) {
        const char* why = restores ? "a rollback is not gated" : "forced by the operator";
        spdlog::warn("[{}] swap ({}) published past {} breaking change(s) to the contract ({})", m.config().name, trigger,
                     breaking.size(), why);
        for (std::size_t i = 0; i < breaking.size() && i < contract::max_listed_changes; ++i)
            spdlog::warn("[{}]   {} {} {} at '{}': {}", m.config().name, breaking[i].kind, breaking[i].method,
                         breaking[i].path, breaking[i].pointer, breaking[i].message);
        result.detail += "; " + std::string(restores ? "" : "forced: ") + std::to_string(breaking.size()) +
                         " breaking change(s) to the contract accepted";
        result.breaking = std::move(breaking);
    }
    return result;
}

plugin::swap_result deployer::reload(plugin::module& m, std::optional<std::filesystem::path> library,
                                     const std::string& trigger, contract_gate gate) const {
    return swap(m, library.value_or(m.config().library), trigger, std::nullopt, gate);
}

std::optional<plugin::swap_result> deployer::rollback(plugin::module& m) const {
    auto target = m.rollback_to();
    if (!target) return std::nullopt;
    return swap(m, target->shadow, "rollback", target->number, contract_gate::skip);
}

plugin::retire_result deployer::retire(plugin::module& m, int major) const {
    auto r = m.retire(major);
    nlohmann::json fields = {{"major", major},
                             {"outcome", r.outcome == plugin::retire_outcome::retired ? "retired"
                                         : r.outcome == plugin::retire_outcome::active ? "refused" : "not_served"},
                             {"detail", r.detail}};
    if (r.generation) fields["generation"] = *r.generation;
    if (r.outcome == plugin::retire_outcome::retired) fields["drains"] = r.drains;
    ops::emit(m.services(), "retire", m.config().name, std::move(fields));
    return r;
}

}  // namespace berth::host::deploy
