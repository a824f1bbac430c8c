#include "plugin/module.hpp"

#include "exec/worker_pool.hpp"
#include "http/problem.hpp"

#include <sodium.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <cstdio>
#include <ctime>

namespace berth::host::plugin {

namespace fs = std::filesystem;

const char* to_string(module_state s) {
    switch (s) {
        case module_state::loading: return "loading";
        case module_state::serving: return "serving";
        case module_state::failed: return "failed";
        case module_state::stopped: return "stopped";
    }
    return "unknown";
}

const char* to_string(swap_result::outcome o) {
    switch (o) {
        case swap_result::outcome::swapped: return "swapped";
        case swap_result::outcome::unchanged: return "unchanged";
        case swap_result::outcome::failed: return "failed";
    }
    return "unknown";
}

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

// A client's X-Request-Id is kept when it is short and plain; otherwise we make one.
std::string request_id_for(const http::request& req) {
    auto given = req.header("X-Request-Id");
    bool plain = !given.empty() && given.size() <= 128;
    for (char c : given)
        if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.' || c == ':')) plain = false;
    if (plain) return std::string(given);
    // Unique, not secret: a per-process random prefix and a counter (no syscall per request).
    static const std::uint64_t prefix = [] {
        std::uint64_t p = 0;
        randombytes_buf(&p, sizeof p);
        return p;
    }();
    static std::atomic<std::uint64_t> counter{0};
    char id[25];
    std::snprintf(id, sizeof id, "%08x%016llx", static_cast<unsigned>(prefix >> 32),
                  static_cast<unsigned long long>(counter.fetch_add(1, std::memory_order_relaxed) + (prefix & 0xffffffff)));
    return std::string(id, 24);
}

bool is_health_check(const http::request& req) {
    return req.method == "GET" && (req.target == "/healthz" || req.target.rfind("/healthz?", 0) == 0);
}

nlohmann::json generation_json(const generation& g) {
    return {{"number", g.number()},
            {"version", g.version()},
            {"sha256", g.library()->sha256()},
            {"loaded_at", iso8601(g.loaded_at())},
            {"in_flight", g.in_flight.load()}};
}

}  // namespace

module::module(plugin_config config, fs::path data_dir, exec::worker_pool& workers, swap_settings swap,
               const host_services* services)
    : config_(std::move(config)), data_dir_(std::move(data_dir)), workers_(workers), swap_(swap), services_(services) {}

module::~module() { unload_all(); }

swap_result module::fail(load_failure f, const std::string& trigger) {
    spdlog::error("[{}] swap ({}) failed at step '{}': {}; {}", config_.name, trigger, f.step, f.message,
                  active_.load() ? "the active generation keeps serving" : "nothing is serving");
    std::lock_guard lock(mutex_);
    if (!active_.load()) state_ = module_state::failed;
    last_error_ = f;
    ++counters_.swap_failures;
    return swap_result{swap_result::outcome::failed, f, f.step + ": " + f.message};
}

swap_result module::reload(std::optional<fs::path> library, const std::string& trigger) {
    const fs::path source = library.value_or(config_.library);
    auto image = read_image(source);
    if (auto* f = std::get_if<load_failure>(&image)) return fail(std::move(*f), trigger);
    auto& img = std::get<file_image>(image);

    auto current = active_.load();
    if (current && current->library()->sha256() == img.sha256) {
        std::lock_guard lock(mutex_);
        ++counters_.unchanged;
        spdlog::info("[{}] {} has the active generation's content (sha256 {}); nothing to do", config_.name,
                     source.string(), img.sha256.substr(0, 12));
        return swap_result{swap_result::outcome::unchanged, std::nullopt,
                           "the file's sha256 equals the active generation's; nothing was swapped"};
    }

    auto opened = plugin_library::open(img, data_dir_ / "shadow", config_.name);
    if (auto* f = std::get_if<load_failure>(&opened)) return fail(std::move(*f), trigger);
    std::uint64_t number;
    {
        std::lock_guard lock(mutex_);
        number = generations_ + 1;
    }
    auto started = generation::start(std::get<std::shared_ptr<plugin_library>>(std::move(opened)), config_, data_dir_,
                                     number, swap_.ready_timeout, services_);
    if (auto* f = std::get_if<load_failure>(&started)) return fail(std::move(*f), trigger);
    return publish(std::get<std::shared_ptr<generation>>(std::move(started)), trigger);
}

swap_result module::publish(std::shared_ptr<generation> next, const std::string& trigger) {
    const auto now = std::chrono::steady_clock::now();
    std::string detail = "generation " + std::to_string(next->number()) + " (" + next->version() + ", sha256 " +
                         next->library()->sha256().substr(0, 12) + ") serves";
    spdlog::info("[{}] {} {} via {}", config_.name, detail, next->name(), trigger);
    std::lock_guard lock(mutex_);
    generations_ = next->number();
    // The one atomic store: from here new requests (and the next request on every
    // keep-alive connection) go to `next`; requests already dispatched finish on `old`.
    auto old = active_.exchange(std::move(next));
    state_ = module_state::serving;
    last_error_.reset();
    if (old) {
        ++counters_.swaps;
        previous_ = previous{old->library()->shadow_path(), old->library()->sha256(), old->version()};
        draining_.push_back(draining{std::move(old), now, now + swap_.drain_timeout, std::chrono::system_clock::now()});
    }
    return swap_result{swap_result::outcome::swapped, std::nullopt, detail};
}

std::optional<swap_result> module::rollback() {
    std::optional<previous> target;
    {
        std::lock_guard lock(mutex_);
        target = previous_;
    }
    if (!target) return std::nullopt;
    auto r = reload(target->shadow, "rollback");
    if (r.result == swap_result::outcome::swapped) {
        std::lock_guard lock(mutex_);
        ++counters_.rollbacks;
    }
    return r;
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
    if (auto a = active_.load(); a && a->library()->shadow_path() == library->shadow_path()) shared = true;
    {
        std::lock_guard lock(mutex_);
        for (auto& d : draining_)
            if (d.gen->library()->shadow_path() == library->shadow_path()) shared = true;
    }
    if (library.use_count() != 1) {
        report = {false, "the library is still referenced by the host"};
    } else {
        report = library->unload();
        if (!report.unloaded && shared)
            report = {true, "unloaded; the mapping stays for a live generation of the same content"};
    }
    std::lock_guard lock(mutex_);
    if (report.unloaded) {
        ++counters_.unloaded;
        spdlog::info("[{}] generation {} unloaded ({})", config_.name, number, report.detail);
    } else {
        ++counters_.retained;
        retained_.push_back(retained{number, version, library->sha256(), report.detail, std::chrono::system_clock::now()});
        spdlog::warn("[{}] generation {} retained: {}", config_.name, number, report.detail);
    }
    return report;
}

void module::reap() {
    const auto now = std::chrono::steady_clock::now();
    std::vector<std::shared_ptr<request_ticket>> cut;
    {
        std::lock_guard lock(mutex_);
        for (auto& d : draining_) {
            if (d.cut_off || now < d.deadline || d.gen.use_count() == 1) continue;
            d.cut_off = true;
            ++counters_.cut_off;
            auto tickets = d.gen->tickets();
            cut.insert(cut.end(), tickets.begin(), tickets.end());
            spdlog::warn("[{}] generation {} still has {} request(s) at its drain deadline; answering 503",
                         config_.name, d.gen->number(), tickets.size());
        }
    }
    for (auto& t : cut) {
        auto r = http::problem(503, "the module was upgraded and this request outlived the drain deadline");
        r.close = true;
        r.set_header("X-Request-Id", t->request_id);
        t->answer(std::move(r));
    }
    // One at a time, so each unload still sees the other live generations (shared content).
    bool unloaded = false;
    for (;;) {
        std::shared_ptr<generation> drained;
        {
            std::lock_guard lock(mutex_);
            // use_count 1: only this list holds it, and since it is no longer active nobody
            // can take a new reference: no request is on it, none can start.
            auto it = std::find_if(draining_.begin(), draining_.end(),
                                   [](const draining& d) { return d.gen.use_count() == 1; });
            if (it == draining_.end()) break;
            drained = std::move(it->gen);
            draining_.erase(it);
            // use_count() is a relaxed read: order the last request's work before the unload.
            std::atomic_thread_fence(std::memory_order_acquire);
        }
        unload_generation(std::move(drained));
        unloaded = true;
    }
    if (unloaded) collect_shadows();
}

std::vector<unload_report> module::unload_all() {
    std::vector<unload_report> out;
    {
        std::lock_guard lock(mutex_);
        state_ = module_state::stopped;
        if (auto gen = active_.exchange(nullptr))
            draining_.push_back(draining{std::move(gen), {}, {}, std::chrono::system_clock::now()});
    }
    for (;;) {
        std::shared_ptr<generation> gen;
        {
            std::lock_guard lock(mutex_);
            if (draining_.empty()) break;
            gen = std::move(draining_.back().gen);
            draining_.pop_back();
        }
        out.push_back(unload_generation(std::move(gen)));
    }
    std::error_code ec;
    for (auto& entry : fs::directory_iterator(data_dir_ / "shadow", ec))
        if (is_own_shadow(entry.path())) fs::remove(entry.path(), ec);
    return out;
}

// <module>-<64 hex>.so: this module's copies, not those of a module whose name it prefixes.
bool module::is_own_shadow(const fs::path& p) const {
    auto name = p.filename().string();
    return name.size() == config_.name.size() + 1 + 64 + 3 && name.rfind(config_.name + "-", 0) == 0 &&
           name.compare(name.size() - 3, 3, ".so") == 0;
}

// Shadow copies in use: the active one, the previous good one (rollback), draining and
// retained ones. The rest of this module's copies are deleted.
void module::collect_shadows() {
    std::vector<fs::path> keep;
    if (auto a = active_.load()) keep.push_back(a->library()->shadow_path());
    {
        std::lock_guard lock(mutex_);
        if (previous_) keep.push_back(previous_->shadow);
        for (auto& d : draining_) keep.push_back(d.gen->library()->shadow_path());
        for (auto& r : retained_) keep.push_back(data_dir_ / "shadow" / (config_.name + "-" + r.sha256 + ".so"));
    }
    std::error_code ec;
    for (auto& entry : fs::directory_iterator(data_dir_ / "shadow", ec)) {
        if (is_own_shadow(entry.path()) && std::find(keep.begin(), keep.end(), entry.path()) == keep.end())
            fs::remove(entry.path(), ec);
    }
}

void module::handle(http::request request, completion done) {
    auto t = std::make_shared<request_ticket>();
    t->done = std::move(done);
    t->request_id = request_id_for(request);
    workers_.post([self = shared_from_this(), request = std::move(request), t]() mutable {
        http::response r;
        try {
            r = self->serve(request, t->request_id, t);
        } catch (const std::exception& e) {
            spdlog::error("[{}] request {} failed in the host: {}", self->config_.name, t->request_id, e.what());
            r = http::problem(500, "the host failed while handling the request");
        }
        r.set_header("X-Request-Id", t->request_id);
        t->answer(std::move(r));
    });
}

http::response module::serve(const http::request& request, const std::string& request_id,
                             const std::shared_ptr<request_ticket>& t) {
    auto gen = active_.load();  // the snapshot: this request finishes on this generation
    if (is_health_check(request)) {
        if (gen)
            return http::json_response(200, {{"status", "ok"}, {"plugin", config_.name}, {"version", gen->version()}});
        std::lock_guard lock(mutex_);
        return http::json_response(503, {{"status", "unavailable"},
                                         {"plugin", config_.name},
                                         {"error", last_error_ ? last_error_->message : "not loaded"}});
    }
    if (!gen) {
        std::lock_guard lock(mutex_);
        return http::problem(503, "module '" + config_.name + "' has no loaded generation" +
                                      (last_error_ ? ": " + last_error_->step + ": " + last_error_->message : ""));
    }
    struct stay {
        generation& g;
        std::list<std::shared_ptr<request_ticket>>::iterator it;
        ~stay() { g.leave(it); }
    } guard{*gen, gen->enter(t)};
    return gen->dispatch(request, request_context{request_id, {}});
}

http::response module::call(const http::request& request, const request_context& ctx) {
    auto gen = active_.load();
    request_context rc = ctx;
    if (rc.request_id.empty()) rc.request_id = request_id_for(request);
    http::response r;
    if (!gen) {
        r = http::problem(503, "module '" + config_.name + "' has no loaded generation");
    } else {
        ++gen->in_flight;
        struct leave {
            generation& g;
            ~leave() { --g.in_flight; }
        } guard{*gen};
        r = gen->dispatch(request, rc);
    }
    r.set_header("X-Request-Id", rc.request_id);
    return r;
}

void module::set_endpoint(std::string address, std::uint16_t port) {
    std::lock_guard lock(mutex_);
    address_ = std::move(address);
    port_ = port;
}

void module::set_failure(load_failure f) {
    spdlog::error("[{}] {}: {}", config_.name, f.step, f.message);
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

nlohmann::json module::status() const {
    auto gen = active_.load();
    std::lock_guard lock(mutex_);
    nlohmann::json s = {{"name", config_.name},
                        {"version", gen ? nlohmann::json(gen->version()) : nlohmann::json(nullptr)},
                        {"address", address_.empty() ? config_.address : address_},
                        {"port", port_},
                        {"state", to_string(state_)},
                        {"generation", gen ? nlohmann::json(gen->number()) : nlohmann::json(nullptr)},
                        {"library", config_.library.string()},
                        {"loaded_at", gen ? nlohmann::json(iso8601(gen->loaded_at())) : nlohmann::json(nullptr)},
                        {"sha256", gen ? nlohmann::json(gen->library()->sha256()) : nlohmann::json(nullptr)},
                        {"in_flight", gen ? gen->in_flight.load() : 0},
                        {"active", gen ? generation_json(*gen) : nlohmann::json(nullptr)},
                        {"last_error", nullptr}};
    if (last_error_) s["last_error"] = {{"step", last_error_->step}, {"message", last_error_->message}};
    nlohmann::json drain = nlohmann::json::array();
    for (auto& d : draining_) {
        auto j = generation_json(*d.gen);
        j["draining_since"] = iso8601(d.since_wall);
        j["cut_off"] = d.cut_off;
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
                     {"cut_off", counters_.cut_off}};
    return s;
}

}  // namespace berth::host::plugin
