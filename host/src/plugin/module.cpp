#include "plugin/module.hpp"

#include "isolate/isolated_plugin.hpp"

#include "exec/worker_pool.hpp"
#include "http/problem.hpp"
#include "ops/logging_events.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>

namespace berth::host::plugin {

namespace fs = std::filesystem;

const char* to_string(swap_outcome o) {
    switch (o) {
        case swap_outcome::swapped: return "swapped";
        case swap_outcome::unchanged: return "unchanged";
        case swap_outcome::failed: return "failed";
        case swap_outcome::refused: return "refused";
    }
    return "unknown";
}

// Generations whose published handle is gone: no request holds them and none can take them.
// Filled from whatever thread drops the last handle, emptied by the deploy thread.
struct module::retire_queue {
    std::mutex mutex;
    std::vector<std::shared_ptr<generation>> items;

    void push(std::shared_ptr<generation> g) {
        std::lock_guard lock(mutex);
        items.push_back(std::move(g));
    }
    std::vector<std::shared_ptr<generation>> take() {
        std::lock_guard lock(mutex);
        return std::exchange(items, {});
    }
};


module::module(module_config config, fs::path data_dir, std::chrono::milliseconds drain_timeout,
               const abi::host_services* services)
    : data_dir_(std::move(data_dir)),
      drain_timeout_(drain_timeout),
      services_(services),
      workers_(std::make_unique<exec::worker_pool>(std::max(1u, config.limits.max_in_flight))),
      retired_(std::make_shared<retire_queue>()) {
    configs_.push_back(std::make_unique<const module_config>(std::move(config)));
    config_now_.store(configs_.back().get(), std::memory_order_release);
}

void module::set_config(module_config next) {
    std::lock_guard lock(mutex_);
    configs_.push_back(std::make_unique<const module_config>(std::move(next)));
    config_now_.store(configs_.back().get(), std::memory_order_release);
}

bool module::ready() const {
    std::lock_guard lock(mutex_);
    return bound_ && state_ == module_state::serving && serving_ && serving_->active;
}

module::~module() {
    stop_workers();
    unload_all();
}

std::shared_ptr<generation> module::active() const {
    std::lock_guard lock(active_mutex_);
    return serving_ ? serving_->active : nullptr;
}

std::uint64_t module::next_generation_number() const {
    std::lock_guard lock(mutex_);
    return generations_ + 1;
}

swap_result module::record_failure(load_failure f, const std::string& trigger) {
    const bool serving = active() != nullptr;
    spdlog::error("[{}] swap ({}) failed at step '{}': {}; {}", config().name, trigger, f.step, f.message,
                  serving ? "the active generation keeps serving" : "nothing is serving");
    swap_result r;
    {
        std::lock_guard lock(mutex_);
        if (!serving) state_ = module_state::failed;
        last_error_ = f;
        ++counters_.swap_failures;
        r.detail = f.step + ": " + f.message;
        r.failure = std::move(f);
    }
    collect_shadows();  // a build that failed after its copy was made leaves none behind
    return r;
}

swap_result module::record_unchanged(const fs::path& source) {
    std::lock_guard lock(mutex_);
    ++counters_.unchanged;
    spdlog::info("[{}] {} holds the active generation's build; nothing to do", config().name, source.string());
    swap_result r;
    r.outcome = swap_outcome::unchanged;
    r.detail = "the file's sha256 equals the active generation's; nothing was swapped";
    return r;
}

swap_result module::publish(std::shared_ptr<generation> next, const std::string& trigger,
                            std::optional<std::uint64_t> restores) {
    const generation_snapshot next_info = describe(*next);
    std::vector<int> next_majors;
    for (auto& [major, how] : next->endpoint().routes.majors) next_majors.push_back(major);
    std::string detail = "generation " + std::to_string(next->number()) + " (" + next->version() + ", sha256 " +
                         next_info.sha256.substr(0, 12) + ") serves";
    bool roll_forward = false;
    // The published handle: when its last copy goes, the generation goes to the retire queue.
    generation* raw = next.get();
    std::shared_ptr<generation> handle(raw, [inner = std::move(next), queue = retired_](generation*) mutable {
        queue->push(std::move(inner));
    });
    std::lock_guard lock(mutex_);
    // The next map: `next` is active and takes every major it serves; the others stay where they are.
    auto map = std::make_shared<serving_map>();
    map->active = handle;
    const serving_map* current = serving_.get();
    std::string kept;
    if (current)
        for (auto& [major, g] : current->by_major) {
            if (std::find(next_majors.begin(), next_majors.end(), major) != next_majors.end()) continue;
            map->by_major.emplace_back(major, g);
            kept += (kept.empty() ? "; generation " : ", generation ") + std::to_string(g->number()) +
                    " keeps serving v" + std::to_string(major);
        }
    for (int major : next_majors) map->by_major.emplace_back(major, handle);
    std::sort(map->by_major.begin(), map->by_major.end(), [](auto& a, auto& b) { return a.first < b.first; });
    if (!next_majors.empty()) detail += " " + major_list(next_majors);
    detail += kept;
    if (restores) {
        roll_forward = active_restores_.has_value();
        detail += roll_forward ? "; a roll-forward: it restores the build of generation " + std::to_string(*restores) +
                                     ", which the last rollback replaced"
                               : "; a rollback to the build of generation " + std::to_string(*restores);
        ++counters_.rollbacks;
    }
    spdlog::info("[{}] {} (plugin {}, via {})", config().name, detail, raw->plugin_name(), trigger);
    generations_ = raw->number();
    const auto old_restores = std::exchange(active_restores_, restores);
    // The one store: from here new requests (and the next request on every keep-alive
    // connection) go to the generations of the new map; requests already dispatched finish where they are.
    auto old = install(std::move(map), old_restores);
    state_ = module_state::serving;
    last_error_.reset();
    if (old && old->active) {
        ++counters_.swaps;
        auto old_info = describe(*old->active);
        old_info.restores = old_restores;
        previous_ = previous{old_info, old->active->library()->shadow_path()};
    }
    return swap_result{swap_outcome::swapped, std::nullopt, detail, restores, roll_forward};
}

std::optional<rollback_target> module::rollback_to() const {
    std::lock_guard lock(mutex_);
    if (!previous_) return std::nullopt;
    return rollback_target{previous_->shadow, previous_->info.number};
}

unload_report module::unload_generation(std::shared_ptr<generation> gen) {
    const auto number = gen->number();
    const auto version = gen->version();
    auto library = gen->library();
    gen->shutdown();
    gen.reset();
    unload_report report;
    // Another live generation of the same content (swapped back before this one drained)
    // shares the mapping: then "still loaded" is expected, not a leak.
    bool shared = false;
    {
        std::lock_guard lock(mutex_);
        if (serving_)
            for (auto& g : serving_->generations())
                if (g->library()->shadow_path() == library->shadow_path()) shared = true;
        for (auto& d : draining_)
            if (d.info.number != number && d.shadow == library->shadow_path()) shared = true;
    }
    if (library.use_count() != 1) {
        report = {false, "the library is still referenced by the host"};
    } else {
        report = library->unload();
        if (!report.unloaded && shared)
            report = {true, "unloaded; the mapping stays for a live generation of the same content"};
    }
    ops::emit(services_, "unload", config().name,
              {{"generation", number}, {"version", version}, {"unloaded", report.unloaded}, {"detail", report.detail}});
    std::lock_guard lock(mutex_);
    std::erase_if(draining_, [&](const draining& d) { return d.info.number == number; });
    if (report.unloaded) {
        ++counters_.unloaded;
        spdlog::info("[{}] generation {} unloaded ({})", config().name, number, report.detail);
    } else {
        ++counters_.retained;
        retained_.push_back(
            retained_snapshot{number, version, library->sha256(), report.detail, std::chrono::system_clock::now()});
        spdlog::warn("[{}] generation {} retained: {}", config().name, number, report.detail);
    }
    return report;
}

void module::reap() {
    const auto now = std::chrono::steady_clock::now();
    std::vector<std::shared_ptr<generation>> overdue;
    {
        std::lock_guard lock(mutex_);
        for (auto& d : draining_) {
            if (d.cut_off || now < d.deadline) continue;
            if (auto g = d.handle.lock()) {
                d.cut_off = true;
                ++counters_.cut_off;
                overdue.push_back(std::move(g));
            }
        }
    }
    for (auto& g : overdue) {
        auto tickets = g->tickets();
        spdlog::warn("[{}] generation {} still has {} request(s) at its drain deadline; answering 503", config().name,
                     g->number(), tickets.size());
        ops::emit(services_, "drain", config().name,
                  {{"generation", g->number()}, {"outcome", "cut_off"}, {"requests", tickets.size()}});
        for (auto& t : tickets) {
            auto r = http::problem(503, "the module was upgraded and this request outlived the drain deadline");
            r.close = true;
            r.set_header("X-Request-Id", t->request_id);
            t->answer(std::move(r));
        }
        // Process isolation: the old worker goes now, not when its stuck handler returns (never, maybe).
        if (auto* isolated = g->library()->isolated()) isolated->stop_worker();
    }
    overdue.clear();  // may drop a last handle: that generation is then in the retire queue
    // One at a time, so each unload still sees the other live generations (shared content).
    auto retired = retired_->take();
    for (auto& g : retired) unload_generation(std::move(g));
    if (!retired.empty()) collect_shadows();
}

void module::stop_workers() { workers_->join(); }

std::vector<unload_report> module::unload_all() {
    std::vector<unload_report> out;
    std::shared_ptr<const serving_map> map;
    {
        std::lock_guard lock(mutex_);
        state_ = module_state::stopped;
        std::lock_guard active(active_mutex_);
        map = std::exchange(serving_, nullptr);
    }
    std::vector<std::pair<std::uint64_t, std::weak_ptr<generation>>> serving;
    if (map)
        for (auto& g : map->generations()) serving.emplace_back(g->number(), g);
    map.reset();  // with no request in flight, these were the last handles
    for (auto& g : retired_->take()) out.push_back(unload_generation(std::move(g)));
    // A generation something still holds (a call from another module's background thread, say)
    // cannot be unloaded now: say so rather than hide it.
    std::lock_guard lock(mutex_);
    for (auto& d : draining_) serving.emplace_back(d.info.number, d.handle);
    for (auto& [number, handle] : serving) {
        if (handle.expired()) continue;
        out.push_back({false, "generation " + std::to_string(number) + " is still referenced at shutdown"});
        spdlog::warn("[{}] generation {} is still referenced at shutdown; it is not unloaded", config().name, number);
    }
    std::error_code ec;
    for (auto& entry : fs::directory_iterator(data_dir_ / "shadow", ec))
        if (is_own_shadow(entry.path())) fs::remove(entry.path(), ec);
    return out;
}

// <module>-<64 hex>.so: this module's copies, not those of a module whose name it prefixes.
bool module::is_own_shadow(const fs::path& p) const {
    auto name = p.filename().string();
    return name.size() == config().name.size() + 1 + 64 + 3 && name.rfind(config().name + "-", 0) == 0 &&
           name.compare(name.size() - 3, 3, ".so") == 0;
}

// Shadow copies in use: those of serving generations, the previous good one (rollback),
// draining and retained ones. The rest of this module's copies are deleted.
void module::collect_shadows() {
    std::vector<fs::path> keep;
    {
        std::lock_guard lock(mutex_);
        if (serving_)
            for (auto& g : serving_->generations()) keep.push_back(g->library()->shadow_path());
        if (previous_) keep.push_back(previous_->shadow);
        for (auto& d : draining_) keep.push_back(d.shadow);
        for (auto& r : retained_) keep.push_back(data_dir_ / "shadow" / (config().name + "-" + r.sha256 + ".so"));
    }
    std::error_code ec;
    for (auto& entry : fs::directory_iterator(data_dir_ / "shadow", ec)) {
        if (is_own_shadow(entry.path()) && std::find(keep.begin(), keep.end(), entry.path()) == keep.end())
            fs::remove(entry.path(), ec);
    }
}

void module::set_endpoint(std::string address, std::uint16_t port) {
    std::lock_guard lock(mutex_);
    address_ = std::move(address);
    port_ = port;
    bound_ = true;
}

void module::set_failure(load_failure f) {
    spdlog::error("[{}] {}: {}", config().name, f.step, f.message);
    ops::emit(services_, "load", config().name, {{"outcome", "failed"}, {"step", f.step}, {"reason", f.message}});
    std::lock_guard lock(mutex_);
    state_ = module_state::failed;
    last_error_ = std::move(f);
}

std::uint16_t module::port() const {
    std::lock_guard lock(mutex_);
    return port_;
}

module_state module::state() const {
    std::lock_guard lock(mutex_);
    return state_;
}

}  // namespace berth::host::plugin
