// Majors side by side: which generation serves which major (the serving map), how a new map
// is published, and retiring a major an older generation still serves.
#include "plugin/module.hpp"

#include "contract/openapi.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>

namespace berth::host::plugin {

std::string major_list(const std::vector<int>& majors) {
    std::string out;
    for (int m : majors) out += (out.empty() ? "v" : ", v") + std::to_string(m);
    return out;
}

std::vector<int> module::serving_map::majors_of(const generation* g) const {
    std::vector<int> out;
    for (auto& [major, gen] : by_major)
        if (gen.get() == g) out.push_back(major);
    return out;
}

std::vector<int> module::serving_map::majors() const {
    std::vector<int> out;
    out.reserve(by_major.size());
    for (auto& entry : by_major) out.push_back(entry.first);
    return out;
}

std::vector<std::shared_ptr<generation>> module::serving_map::generations() const {
    std::vector<std::shared_ptr<generation>> out;
    if (active) out.push_back(active);
    for (auto& [major, g] : by_major)
        if (std::find(out.begin(), out.end(), g) == out.end()) out.push_back(g);
    return out;
}

std::shared_ptr<generation> module::serving(int major) const {
    std::lock_guard lock(active_mutex_);
    if (serving_)
        for (auto& [m, g] : serving_->by_major)
            if (m == major) return g;
    return nullptr;
}

std::shared_ptr<const contract::published_document> module::document() const {
    std::shared_ptr<const serving_map> map;
    {
        std::lock_guard lock(active_mutex_);
        map = serving_;
    }
    if (!map || !map->active) return nullptr;
    auto gens = map->generations();  // the active one first
    // One generation: its own document, kept alive with the map that holds it.
    if (gens.size() == 1) return {map, &gens.front()->openapi()};
    std::lock_guard lock(document_mutex_);
    if (document_ && document_for_.lock() == map) return document_;
    std::vector<contract::serving_part> older;
    for (std::size_t i = 1; i < gens.size(); ++i) older.push_back({&gens[i]->openapi().json, map->majors_of(gens[i].get())});
    document_ = contract::side_by_side(gens.front()->openapi().json, older);
    document_for_ = map;
    return document_;
}

std::shared_ptr<const module::serving_map> module::install(std::shared_ptr<const serving_map> to,
                                                           std::optional<std::uint64_t> old_active_restores) {
    std::shared_ptr<const serving_map> from;
    {
        std::lock_guard active(active_mutex_);
        from = std::exchange(serving_, to);
    }
    if (!from) return from;
    const auto now = std::chrono::steady_clock::now();
    for (auto& g : from->generations()) {
        if (to && (g == to->active || !to->majors_of(g.get()).empty())) continue;
        auto info = describe(*g);
        if (g == from->active) info.restores = old_active_restores;
        draining_.push_back(draining{g, info, g->library()->shadow_path(), now + drain_timeout_,
                                     std::chrono::system_clock::now()});
    }
    return from;
}

retire_result module::retire(int major) {
    std::lock_guard lock(mutex_);
    retire_result r;
    const auto served = serving_ ? serving_->majors() : std::vector<int>{};
    const auto at = std::find(served.begin(), served.end(), major);
    if (at == served.end()) {
        r.detail = "no generation of '" + config().name + "' serves v" + std::to_string(major) +
                   (served.empty() ? std::string("; it serves no major") : "; it serves " + major_list(served));
        return r;
    }
    const auto index = at - served.begin();  // by_major and served are in the same order
    const auto gen = serving_->by_major[index].second;
    r.generation = gen->number();
    if (gen == serving_->active) {
        r.outcome = retire_outcome::active;
        r.detail = "v" + std::to_string(major) + " is served by the active generation " + std::to_string(gen->number()) +
                   "; only majors an older generation serves can be retired";
        return r;
    }
    auto map = std::make_shared<serving_map>(*serving_);
    map->by_major.erase(map->by_major.begin() + index);
    r.drains = map->majors_of(gen.get()).empty();
    r.outcome = retire_outcome::retired;
    r.detail = "v" + std::to_string(major) + " is no longer served; generation " + std::to_string(gen->number()) +
               (r.drains ? " serves no other major and drains" : " keeps serving " + major_list(map->majors_of(gen.get())));
    install(std::move(map), std::nullopt);
    ++counters_.retires;
    spdlog::info("[{}] {}", config().name, r.detail);
    return r;
}

}  // namespace berth::host::plugin
