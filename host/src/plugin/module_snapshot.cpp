// module::snapshot(): the module as operators see it, read under its locks in one go.
#include "plugin/module.hpp"

#include "isolate/isolated_plugin.hpp"

namespace berth::host {

const char* to_string(module_state s) {
    switch (s) {
        case module_state::loading: return "loading";
        case module_state::serving: return "serving";
        case module_state::failed: return "failed";
        case module_state::stopped: return "stopped";
    }
    return "unknown";
}

}  // namespace berth::host

namespace berth::host::plugin {

generation_snapshot module::describe(const generation& g) const {
    generation_snapshot out{g.number(),
                            g.plugin_name(),
                            g.version(),
                            g.library()->sha256(),
                            g.library()->source(),
                            std::nullopt,
                            g.loaded_at(),
                            g.in_flight.load(),
                            {}};  // serves_majors: filled from the serving map by the caller
    if (auto* worker = g.library()->isolated()) out.worker = worker->status();
    out.isolation = to_string(out.worker ? isolation::process : isolation::in_process);
    return out;
}

module_snapshot module::snapshot() const {
    module_snapshot s;
    s.name = config().name;
    s.configured_library = config().library;
    s.queued_or_running = admitted_.load();
    // The serving generations under mutex_, so they and what mutex_ guards come from the same moment.
    std::lock_guard lock(mutex_);
    if (serving_) {  // mutex_ is enough to read it (see module.hpp)
        for (auto& [major, g] : serving_->by_major) s.majors.emplace(major, g->number());
        for (auto& g : serving_->generations()) {
            auto info = describe(*g);
            info.serves_majors = serving_->majors_of(g.get());
            if (g != serving_->active) {
                s.older.push_back(std::move(info));
                continue;
            }
            info.restores = active_restores_;
            s.active = std::move(info);
        }
    }
    s.address = bound_ ? address_ : config().address;
    s.port = bound_ ? port_ : config().port;
    s.bound = bound_;
    s.state = state_;
    // An isolated module whose worker is restarting or failed answers 503: not ready.
    s.ready = bound_ && state_ == module_state::serving && s.active.has_value() &&
              (!s.active->worker || s.active->worker->state == "serving");
    if (previous_) s.previous = previous_->info;
    for (auto& d : draining_) {
        draining_snapshot out{d.info, d.since, d.cut_off};
        auto g = d.handle.lock();
        out.generation.in_flight = g ? g->in_flight.load() : 0;
        s.draining.push_back(std::move(out));
    }
    s.retained = retained_;
    s.last_error = last_error_;
    s.last_refusal = last_refusal_;
    s.counters = counters_;
    return s;
}

}  // namespace berth::host::plugin
