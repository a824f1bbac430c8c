// Live config: the file read again, validated whole, compared with the running config into a
// plan (remove, re-port, add, swap, reconfigure: in that order, so that a port a removal frees
// can be taken), and applied step by step on the deploy thread. A step that fails stops the
// plan; the steps already applied are undone in reverse. Modules the file does not change are
// not touched at all. Top-level keys cannot change live: such a file is refused whole.
#include "runtime_impl.hpp"

#include "config/config_keys.hpp"
#include "plugin/module.hpp"

#include <spdlog/spdlog.h>

#include <future>

namespace berth::host {

namespace {

bool same_limits(const limits_config& a, const limits_config& b) {
    return a.header_limit_bytes == b.header_limit_bytes && a.body_limit_bytes == b.body_limit_bytes &&
           a.read_timeout_ms == b.read_timeout_ms && a.write_timeout_ms == b.write_timeout_ms &&
           a.handler_timeout_ms == b.handler_timeout_ms && a.max_connections == b.max_connections &&
           a.max_connections_per_peer == b.max_connections_per_peer && a.max_in_flight == b.max_in_flight &&
           a.max_queue == b.max_queue;
}
// Where a generation runs and its worker's limits: fixed when the generation is made. The
// "process" block means nothing to a module that stays in-process.
bool same_placement(const module_config& a, const module_config& b) {
    if (a.isolation != b.isolation) return false;
    if (a.isolation == isolation::in_process) return true;
    const auto &x = a.process, &y = b.process;
    return x.memory_limit_mb == y.memory_limit_mb &&
           x.max_open_files == y.max_open_files && x.user == y.user && x.max_restarts == y.max_restarts &&
           x.restart_window_ms == y.restart_window_ms && x.heartbeat_interval_ms == y.heartbeat_interval_ms &&
           x.heartbeat_timeout_ms == y.heartbeat_timeout_ms && x.stop_timeout_ms == y.stop_timeout_ms;
}
// What a plugin is given when a generation is created: a change needs a new generation.
bool same_build(const module_config& a, const module_config& b) {
    return a.library == b.library && a.settings_json == b.settings_json && a.database == b.database &&
           a.plugin == b.plugin && a.check_responses == b.check_responses && same_placement(a, b);
}
// What the host applies in place: limits, CORS, watching.
bool same_edge(const module_config& a, const module_config& b) {
    return same_limits(a.limits, b.limits) && a.cors.allowed_origins == b.cors.allowed_origins && a.watch == b.watch;
}
void take_build(module_config& into, const module_config& from) {
    into.library = from.library;
    into.settings_json = from.settings_json;
    into.database = from.database;
    into.plugin = from.plugin;
    into.check_responses = from.check_responses;
    into.isolation = from.isolation;
    into.process = from.process;
}
void take_edge(module_config& into, const module_config& from) {
    into.limits = from.limits;
    into.cors = from.cors;
    into.watch = from.watch;
}

// Top-level keys that differ, as errors: they cannot change while the host runs.
std::vector<config_error> fixed_changes(const config& running, const config& next) {
    auto a = as_document(running).flatten(), b = as_document(next).flatten();
    std::vector<config_error> out;
    auto fixed = [](const std::string& pointer) { return pointer.rfind("/modules/", 0) != 0; };
    for (auto& [pointer, value] : b.items())
        if (fixed(pointer) && (!a.contains(pointer) || a[pointer] != value))
            out.push_back({pointer, "cannot change while berthd runs; restart it to apply this key"});
    for (auto& [pointer, value] : a.items())
        if (fixed(pointer) && !b.contains(pointer))
            out.push_back({pointer, "cannot change while berthd runs; restart it to apply this key"});
    return out;
}

struct step {
    plan_step info;
    std::function<std::optional<std::string>()> apply;  // why it failed, or nothing
    std::function<std::optional<std::string>()> undo;
};

const module_config* named(const config& c, const std::string& name) {
    for (auto& m : c.modules)
        if (m.name == name) return &m;
    return nullptr;
}

std::string failure_text(const plugin::load_failure& f) { return f.step + ": " + f.message; }

}  // namespace

reload_report runtime::impl::reload_now(bool dry_run) {
    reload_report out;
    if (live.source_file.empty()) {
        out.errors.push_back({"", "the host was not started from a config file: there is nothing to read again"});
        return out;
    }
    auto read = load_config(live.source_file);
    if (!read.value) {
        out.errors = std::move(read.errors);
        return out;
    }
    config next = std::move(*read.value);
    fill_defaults(next);
    if (out.errors = fixed_changes(live, next); !out.errors.empty()) {
        out.failure = "the config file changes keys that cannot change while berthd runs; nothing was changed";
        return out;
    }

    std::vector<step> steps;
    for (auto& a : live.modules)
        if (!named(next, a.name))
            steps.push_back({{"remove", a.name, "drain, unload, close port " + std::to_string(a.port)},
                             [this, name = a.name]() -> std::optional<std::string> {
                                 remove(name, "config reload");
                                 return std::nullopt;
                             },
                             [this, a]() -> std::optional<std::string> {
                                 if (auto f = add(a, "config reload undo")) return failure_text(*f);
                                 return std::nullopt;
                             }});
    for (auto& b : next.modules)
        if (auto* a = named(live, b.name); a && (a->address != b.address || a->port != b.port))
            steps.push_back({{"re-port", b.name,
                              a->address + ":" + std::to_string(a->port) + " -> " + b.address + ":" + std::to_string(b.port)},
                             [this, b]() -> std::optional<std::string> {
                                 if (auto f = re_port(b.name, b.address, b.port)) return failure_text(*f);
                                 return std::nullopt;
                             },
                             [this, a = *a]() -> std::optional<std::string> {
                                 if (auto f = re_port(a.name, a.address, a.port)) return failure_text(*f);
                                 return std::nullopt;
                             }});
    for (auto& b : next.modules)
        if (!named(live, b.name))
            steps.push_back({{"add", b.name, b.library.string() + " on " + b.address + ":" + std::to_string(b.port)},
                             [this, b]() -> std::optional<std::string> {
                                 if (auto f = add(b, "config reload")) return failure_text(*f);
                                 return std::nullopt;
                             },
                             [this, name = b.name]() -> std::optional<std::string> {
                                 remove(name, "config reload undo");
                                 return std::nullopt;
                             }});
    for (auto& b : next.modules) {
        auto* a = named(live, b.name);
        if (!a || same_build(*a, b)) continue;
        const bool library = a->library != b.library;
        const bool placement = !same_placement(*a, b);
        std::string why = library ? a->library.string() + " -> " + b.library.string()
                                  : "settings or database changed: a new generation made with them";
        if (placement)  // a new generation in the new place: a swap, like a new library
            why = (library ? why + "; " : std::string()) +
                  (a->isolation != b.isolation
                       ? std::string("isolation ") + to_string(a->isolation) + " -> " + to_string(b.isolation)
                       : std::string("the worker's process settings changed"));
        auto before = std::make_shared<module_config>();
        steps.push_back({{library || placement ? "swap" : "reconfigure", b.name, std::move(why)},
                         [this, b, before]() -> std::optional<std::string> {
                             auto m = modules->find(b.name);
                             *before = m->config();
                             auto with = *before;
                             take_build(with, b);
                             auto r = deployer->reconfigure(*m, with, "config reload");
                             if (r.outcome != plugin::swap_outcome::swapped) return r.detail;
                             deployer->rewatch();
                             return std::nullopt;
                         },
                         [this, b, before]() -> std::optional<std::string> {
                             auto m = modules->find(b.name);
                             auto r = deployer->restore(*m, *before, "config reload undo");
                             if (!r) m->set_config(*before);
                             deployer->rewatch();
                             if (r && r->outcome != plugin::swap_outcome::swapped) return r->detail;
                             return std::nullopt;
                         }});
    }
    for (auto& b : next.modules) {
        auto* a = named(live, b.name);
        if (!a || same_edge(*a, b)) continue;
        auto before = std::make_shared<module_config>();
        auto apply_edge = [this](const std::string& name, const module_config& from) {
            auto m = modules->find(name);
            auto c = m->config();
            take_edge(c, from);
            if (auto l = listeners.find(name); l != listeners.end()) l->second->set_limits(c.limits);
            m->set_config(std::move(c));
            deployer->rewatch();
        };
        steps.push_back({{"reconfigure", b.name, "limits, cors or watch, applied in place"},
                         [this, b, before, apply_edge]() -> std::optional<std::string> {
                             *before = modules->find(b.name)->config();
                             apply_edge(b.name, b);
                             return std::nullopt;
                         },
                         [before, apply_edge]() -> std::optional<std::string> {
                             apply_edge(before->name, *before);
                             return std::nullopt;
                         }});
    }

    for (auto& s : steps) out.plan.push_back(s.info);
    if (dry_run || steps.empty()) return out;
    for (std::size_t i = 0; i < steps.size(); ++i) {
        if (stopping) {  // the host stops: neither the rest of the plan nor an undo holds it up
            out.failure = "the host began to stop: " + std::to_string(i) + " of " + std::to_string(steps.size()) +
                          " steps were applied, the rest were not";
            spdlog::warn("config reload: {}", out.failure);
            return out;
        }
        auto why = steps[i].apply();
        if (!why) continue;
        out.failed_step = i;
        out.failure = "step " + std::to_string(i + 1) + " (" + steps[i].info.action + " " + steps[i].info.module +
                      ") failed: " + *why + "; the steps before it were undone";
        spdlog::error("config reload: {}", out.failure);
        for (std::size_t j = i; j-- > 0;)
            if (auto undo_failed = steps[j].undo()) {
                out.failure += "; undoing step " + std::to_string(j + 1) + " failed too: " + *undo_failed;
                out.undo_failures.push_back("step " + std::to_string(j + 1) + " (" + steps[j].info.action + " " +
                                            steps[j].info.module + "): " + *undo_failed);
                spdlog::error("config reload: undoing step {} ({} {}) failed: {}", j + 1, steps[j].info.action,
                              steps[j].info.module, *undo_failed);
            }
        out.rolled_back = out.undo_failures.empty();
        return out;
    }
    live = std::move(next);
    out.applied = true;
    spdlog::info("config reload: applied {} step(s)", steps.size());
    return out;
}

void runtime::impl::reload_config(bool dry_run, std::function<void(reload_report)> done) {
    if (reloading.exchange(true)) {
        reload_report busy;
        busy.busy = true;
        return done(std::move(busy));
    }
    auto task = [this, dry_run, done] {
        auto r = reload_now(dry_run);
        nlohmann::json fields = {{"applied", r.applied}, {"steps", r.plan.size()}, {"dry_run", dry_run}};
        if (r.failed_step) {
            fields["failed_step"] = *r.failed_step + 1;  // counted from 1, as "step N" in the failure
            fields["rolled_back"] = r.rolled_back;
        }
        if (!r.errors.empty()) fields["invalid"] = r.errors.size();
        telemetry.emit("config_reload", "", std::move(fields));
        reloading = false;
        done(std::move(r));
    };
    if (!deployer->post(std::move(task))) {
        reloading = false;
        reload_report stopping;
        stopping.failure = "the host is stopping";
        done(std::move(stopping));
    }
}

reload_report runtime::reload_config(bool dry_run) {
    if (!impl_->started || impl_->stopped || !impl_->deployer) {
        reload_report out;
        out.failure = "the host is not running";
        return out;
    }
    std::promise<reload_report> result;
    auto answer = result.get_future();
    impl_->reload_config(dry_run, [&result](reload_report r) { result.set_value(std::move(r)); });
    return answer.get();
}

}  // namespace berth::host
