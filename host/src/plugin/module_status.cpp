// module::status(): what the admin API shows of a module. Operator-facing: paths and loader
// text belong here, never on a public port.
#include "plugin/module.hpp"

#include <cstdio>
#include <ctime>

namespace berth::host::plugin {

namespace {

std::string iso8601(std::chrono::system_clock::time_point t) {
    auto secs = std::chrono::system_clock::to_time_t(t);
    auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count() % 1000;
    std::tm tm{};
    gmtime_r(&secs, &tm);
    char buf[40];
    std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &tm);
    char out[48];
    std::snprintf(out, sizeof out, "%s.%03dZ", buf, static_cast<int>(ms));
    return out;
}

nlohmann::json generation_json(const generation& g) {
    return {{"number", g.number()},
            {"plugin", g.name()},
            {"version", g.version()},
            {"sha256", g.library()->sha256()},
            {"loaded_at", iso8601(g.loaded_at())},
            {"in_flight", g.in_flight.load()}};
}

}  // namespace

nlohmann::json module::status() const {
    auto gen = snapshot();
    std::lock_guard lock(mutex_);
    nlohmann::json s = {{"name", config_.name},
                        {"plugin", gen ? nlohmann::json(gen->name()) : nlohmann::json(nullptr)},
                        {"version", gen ? nlohmann::json(gen->version()) : nlohmann::json(nullptr)},
                        {"address", address_.empty() ? config_.address : address_},
                        {"port", port_},
                        {"state", to_string(state_)},
                        {"generation", gen ? nlohmann::json(gen->number()) : nlohmann::json(nullptr)},
                        {"library", config_.library.string()},
                        {"loaded_at", gen ? nlohmann::json(iso8601(gen->loaded_at())) : nlohmann::json(nullptr)},
                        {"sha256", gen ? nlohmann::json(gen->library()->sha256()) : nlohmann::json(nullptr)},
                        {"in_flight", gen ? gen->in_flight.load() : 0},
                        {"queued_or_running", admitted_.load()},
                        {"active", gen ? generation_json(*gen) : nlohmann::json(nullptr)},
                        {"last_error", nullptr}};
    if (last_error_) s["last_error"] = {{"step", last_error_->step}, {"message", last_error_->message}};
    nlohmann::json drain = nlohmann::json::array();
    for (auto& d : draining_) {
        auto g = d.handle.lock();
        nlohmann::json j = {{"number", d.number},
                            {"version", d.version},
                            {"sha256", d.sha256},
                            {"in_flight", g ? g->in_flight.load() : 0},
                            {"draining_since", iso8601(d.since_wall)},
                            {"cut_off", d.cut_off}};
        drain.push_back(std::move(j));
    }
    s["draining"] = std::move(drain);
    nlohmann::json kept = nlohmann::json::array();
    for (auto& r : retained_)
        kept.push_back({{"number", r.number}, {"version", r.version}, {"sha256", r.sha256}, {"reason", r.reason},
                        {"at", iso8601(r.at)}});
    s["retained"] = std::move(kept);
    s["previous"] = previous_ ? nlohmann::json{{"version", previous_->version}, {"sha256", previous_->sha256}}
                              : nlohmann::json(nullptr);
    s["counters"] = {{"swaps", counters_.swaps},         {"swap_failures", counters_.swap_failures},
                     {"unchanged", counters_.unchanged}, {"rollbacks", counters_.rollbacks},
                     {"unloaded", counters_.unloaded},   {"retained", counters_.retained},
                     {"cut_off", counters_.cut_off},     {"refused_at_capacity", counters_.refused}};
    return s;
}

}  // namespace berth::host::plugin
