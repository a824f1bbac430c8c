#include "deploy/deployer.hpp"

#include "contract/compat.hpp"
#include "exec/serial_executor.hpp"
#include "ops/logging_events.hpp"
#include "ops/telemetry.hpp"

#include <spdlog/spdlog.h>

namespace berth::host::deploy {

deployer::deployer(std::shared_ptr<plugin::module_set> modules, swap_settings settings,
                   library_watcher::timing watch_timing)
    : modules_(std::move(modules)),
      settings_(std::move(settings)),
      watch_timing_(watch_timing),
      thread_(std::make_unique<exec::serial_executor>(std::chrono::milliseconds(10), [modules = modules_] {
          for (auto& m : *modules->snapshot()) m->reap();
      })) {}

deployer::~deployer() { stop(); }

void deployer::boot() {
    for (auto& m : *modules_->snapshot()) {
        if (m->state() == module_state::failed) continue;  // its port could not be bound
        reload(*m, std::nullopt, "boot");
    }
}

void deployer::start() {
    thread_->start();
    rewatch();
}

void deployer::rewatch() {
    std::lock_guard lock(watch_mutex_);
    if (watching_stopped_) return;
    if (watcher_) watcher_->stop();
    std::vector<library_watcher::watched> watched;
    for (auto& m : *modules_->snapshot())
        if (m->config().watch) watched.push_back({m->config().name, m->config().library});
    watcher_ = std::make_unique<library_watcher>(std::move(watched), watch_timing_, [this](const std::string& name) {
        // Looked up when the swap runs: the module may have been removed (or replaced) since.
        post([this, name] {
            if (auto m = modules_->find(name)) reload(*m, std::nullopt, "file change");
        });
    });
    watcher_->start();
}

void deployer::stop_watching() {
    std::lock_guard lock(watch_mutex_);
    watching_stopped_ = true;
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

// A swap's outcome on the event stream (kind "swap", fields as docs/operations.md lists them).
// A module's first generation (nothing served before, whoever asked) is not a swap: the same
// fields under kind "load", which the swap metrics do not count.
void emit_swap(const plugin::module& m, const plugin::swap_result& r, const std::string& trigger,
               std::optional<std::uint64_t> from) {
    nlohmann::json fields = {{"outcome", plugin::to_string(r.outcome)}, {"trigger", trigger}};
    if (r.outcome == plugin::swap_outcome::failed && r.failure) {
        fields["step"] = r.failure->step;
        fields["reason"] = r.failure->message;
    }
    if (r.outcome == plugin::swap_outcome::refused) {
        fields["step"] = "contract";
        fields["reason"] = "breaking_change";
        fields["breaking_changes"] = r.breaking.size();
    }
    if (from) fields["from_generation"] = *from;
    if (auto now = m.active(); now && r.outcome == plugin::swap_outcome::swapped) {
        fields["to_generation"] = now->number();
        fields["version"] = now->version();
    }
    if (r.restores) fields["restores"] = *r.restores;
    ops::emit(m.services(), from ? "swap" : "load", m.config().name, std::move(fields));
}

std::optional<std::uint64_t> active_number(const plugin::module& m) {
    auto a = m.active();
    return a ? std::optional<std::uint64_t>(a->number()) : std::nullopt;
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
                                   std::optional<std::uint64_t> restores, contract_gate gate,
                                   const module_config* next_config) const {
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
                                  swap_target{next_config ? *next_config : m.config(), m.data_dir(), active.get(),
                                              m.next_generation_number(), m.services(), admit, next_config != nullptr},
                                  settings_);
    }();
    if (auto* f = std::get_if<plugin::load_failure>(&next)) {
        if (f->step == "contract") return m.record_refusal(std::move(breaking), trigger, source);
        return m.record_failure(std::move(*f), trigger);
    }
    if (std::holds_alternative<unchanged>(next)) return m.record_unchanged(source);
    auto gen = std::get<std::shared_ptr<plugin::generation>>(std::move(next));
    if (next_config) m.set_config(*next_config);  // before the generation made with it serves
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
    const auto from = active_number(m);
    auto r = swap(m, library.value_or(m.config().library), trigger, std::nullopt, gate);
    emit_swap(m, r, trigger, from);
    return r;
}

std::optional<plugin::swap_result> deployer::rollback(plugin::module& m) const {
    auto target = m.rollback_to();
    if (!target) return std::nullopt;
    const auto from = active_number(m);
    auto r = swap(m, target->shadow, "rollback", target->number, contract_gate::skip);
    emit_swap(m, r, "rollback", from);
    return r;
}

plugin::swap_result deployer::reconfigure(plugin::module& m, const module_config& next,
                                          const std::string& trigger) const {
    const auto from = active_number(m);
    auto r = swap(m, next.library, trigger, std::nullopt, contract_gate::enforce, &next);
    emit_swap(m, r, trigger, from);
    return r;
}

std::optional<plugin::swap_result> deployer::restore(plugin::module& m, const module_config& before,
                                                    const std::string& trigger) const {
    auto target = m.rollback_to();
    if (!target) return std::nullopt;
    const auto from = active_number(m);
    auto r = swap(m, target->shadow, trigger, target->number, contract_gate::skip, &before);
    emit_swap(m, r, trigger, from);
    return r;
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
