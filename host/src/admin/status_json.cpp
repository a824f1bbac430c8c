#include "admin/status_json.hpp"

#include "ops/clock_text.hpp"

namespace berth::host::admin {

namespace {

nlohmann::json or_null(const std::optional<std::uint64_t>& v) { return v ? nlohmann::json(*v) : nlohmann::json(); }

nlohmann::json time_or_null(const std::optional<std::chrono::system_clock::time_point>& t) {
    return t ? nlohmann::json(ops::utc_text(*t)) : nlohmann::json();
}

// A generation's worker process (isolation "process"): what runs now and how the last one ended.
nlohmann::json worker_json(const worker_snapshot& w) {
    return {{"pid", w.pid},
            {"state", w.state},
            {"restarts", w.restarts},
            {"last_exit", w.last_exit.empty() ? nlohmann::json() : nlohmann::json(w.last_exit)},
            {"last_exit_at", time_or_null(w.last_exit_at)},
            {"next_restart_at", time_or_null(w.next_restart_at)}};
}

nlohmann::json generation_json(const generation_snapshot& g) {
    nlohmann::json j = {{"number", g.number},
                        {"plugin", g.plugin},
                        {"version", g.version},
                        {"sha256", g.sha256},
                        {"source", g.source.string()},
                        {"restores", or_null(g.restores)},
                        {"loaded_at", ops::utc_text(g.loaded_at)},
                        {"in_flight", g.in_flight},
                        {"serves_majors", g.serves_majors},
                        {"isolation", g.isolation}};
    if (g.worker) j["worker"] = worker_json(*g.worker);
    return j;
}

// The breaking-change gate's last refusal: when, why, which file, and every change listed.
nlohmann::json refusal_json(const std::optional<refusal_snapshot>& r) {
    if (!r) return nullptr;
    nlohmann::json changes = nlohmann::json::array();
    for (auto& c : r->changes)
        changes.push_back(
            {{"kind", c.kind}, {"method", c.method}, {"path", c.path}, {"pointer", c.pointer}, {"message", c.message}});
    return {{"at", ops::utc_text(r->at)},
            {"trigger", r->trigger},
            {"library", r->library.string()},
            {"count", r->count},
            {"changes", std::move(changes)}};
}

}  // namespace

nlohmann::json to_json(const module_snapshot& s) {
    const auto* a = s.active ? &*s.active : nullptr;
    auto from_active = [&](auto field) { return a ? nlohmann::json(field(*a)) : nlohmann::json(); };
    nlohmann::json j = {
        {"name", s.name},
        {"plugin", from_active([](auto& g) { return g.plugin; })},
        {"version", from_active([](auto& g) { return g.version; })},
        {"address", s.address},
        {"port", s.port},
        {"bound", s.bound},
        {"ready", s.ready},
        {"state", to_string(s.state)},
        {"generation", from_active([](auto& g) { return g.number; })},
        // What serves, truthfully: the active generation's file; the configured path otherwise.
        {"library", a ? a->source.string() : s.configured_library.string()},
        {"configured_library", s.configured_library.string()},
        {"loaded_at", from_active([](auto& g) { return ops::utc_text(g.loaded_at); })},
        {"sha256", from_active([](auto& g) { return g.sha256; })},
        {"in_flight", a ? a->in_flight : 0},
        {"queued_or_running", s.queued_or_running},
        {"active", a ? generation_json(*a) : nlohmann::json()},
        {"last_error", s.last_error ? nlohmann::json{{"step", s.last_error->step}, {"message", s.last_error->message}}
                                    : nlohmann::json()}};
    nlohmann::json previous;
    if (s.previous) {
        previous = generation_json(*s.previous);
        previous.erase("in_flight");  // a figure of the past; draining lists what is in flight now
        previous.erase("serves_majors");
        previous.erase("worker");  // stopped with its generation
    }
    j["previous"] = std::move(previous);
    // Majors side by side: which generation serves each major, and the older ones still serving.
    nlohmann::json majors = nlohmann::json::object();
    for (auto& [major, number] : s.majors) majors[std::to_string(major)] = number;
    j["majors"] = std::move(majors);
    nlohmann::json older = nlohmann::json::array();
    for (auto& g : s.older) older.push_back(generation_json(g));
    j["older"] = std::move(older);
    nlohmann::json draining = nlohmann::json::array();
    for (auto& d : s.draining) {
        auto g = generation_json(d.generation);
        g["draining_since"] = ops::utc_text(d.since);
        g["cut_off"] = d.cut_off;
        draining.push_back(std::move(g));
    }
    j["draining"] = std::move(draining);
    nlohmann::json retained = nlohmann::json::array();
    for (auto& r : s.retained)
        retained.push_back({{"number", r.number},
                            {"version", r.version},
                            {"sha256", r.sha256},
                            {"reason", r.reason},
                            {"at", ops::utc_text(r.at)}});
    j["retained"] = std::move(retained);
    j["last_refusal"] = refusal_json(s.last_refusal);
    const auto& c = s.counters;
    j["counters"] = {{"swaps", c.swaps},         {"swap_failures", c.swap_failures},
                     {"unchanged", c.unchanged}, {"rollbacks", c.rollbacks},
                     {"unloaded", c.unloaded},   {"retained", c.retained},
                     {"cut_off", c.cut_off},     {"refused_at_capacity", c.refused_at_capacity},
                     {"retires", c.retires}};
    j["counters"]["refused_breaking"] = c.refused_breaking;
    return j;
}

}  // namespace berth::host::admin
