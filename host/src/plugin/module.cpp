#include "plugin/module.hpp"

#include "exec/worker_pool.hpp"
#include "http/problem.hpp"

#include <nlohmann/json.hpp>
#include <sodium.h>
#include <spdlog/spdlog.h>

#include <atomic>
#include <cstdio>
#include <ctime>

namespace berth::host::plugin {

const char* to_string(module_state s) {
    switch (s) {
        case module_state::loading: return "loading";
        case module_state::serving: return "serving";
        case module_state::failed: return "failed";
        case module_state::stopped: return "stopped";
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

}  // namespace

module::module(plugin_config config, std::filesystem::path data_dir, exec::worker_pool& workers)
    : config_(std::move(config)), data_dir_(std::move(data_dir)), workers_(workers) {}

module::~module() { unload(); }

std::optional<load_failure> module::load() {
    auto fail = [&](load_failure f) {
        spdlog::error("[{}] load failed at step '{}': {}", config_.name, f.step, f.message);
        std::lock_guard lock(mutex_);
        if (!active_.load()) state_ = module_state::failed;
        last_error_ = f;
        return std::optional<load_failure>(std::move(f));
    };
    auto opened = plugin_library::open(config_.library, data_dir_ / "shadow", config_.name);
    if (auto* f = std::get_if<load_failure>(&opened)) return fail(std::move(*f));
    std::uint64_t number;
    {
        std::lock_guard lock(mutex_);
        number = generations_ + 1;
    }
    auto started = generation::start(std::get<std::shared_ptr<plugin_library>>(std::move(opened)), config_, data_dir_,
                                     number);
    if (auto* f = std::get_if<load_failure>(&started)) return fail(std::move(*f));
    auto gen = std::get<std::shared_ptr<generation>>(std::move(started));
    spdlog::info("[{}] serving {} {} (generation {}, sha256 {})", config_.name, gen->name(), gen->version(),
                 gen->number(), gen->library()->sha256().substr(0, 12));
    std::lock_guard lock(mutex_);
    generations_ = number;
    active_.store(std::move(gen));
    state_ = module_state::serving;
    last_error_.reset();
    return std::nullopt;
}

std::optional<unload_report> module::unload() {
    auto gen = active_.exchange(nullptr);
    {
        std::lock_guard lock(mutex_);
        state_ = module_state::stopped;
    }
    if (!gen) return std::nullopt;
    auto library = gen->library();
    gen->shutdown();
    gen.reset();
    if (library.use_count() != 1) return unload_report{false, "the library is still referenced by the host"};
    auto report = library->unload();
    if (report.unloaded) {
        std::error_code ec;
        std::filesystem::remove(library->shadow_path(), ec);
    } else {
        spdlog::warn("[{}] library retained after unload: {}", config_.name, report.detail);
    }
    return report;
}

void module::handle(http::request request, completion done) {
    workers_.post([self = shared_from_this(), request = std::move(request), done = std::move(done)]() mutable {
        auto id = request_id_for(request);
        http::response r;
        try {
            r = self->serve(request, id);
        } catch (const std::exception& e) {
            spdlog::error("[{}] request {} failed in the host: {}", self->config_.name, id, e.what());
            r = http::problem(500, "the host failed while handling the request");
        }
        r.set_header("X-Request-Id", id);
        done(std::move(r));
    });
}

http::response module::serve(const http::request& request, const std::string& request_id) {
    auto gen = active_.load();
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
    ++gen->in_flight;
    struct leave {
        generation& g;
        ~leave() { --g.in_flight; }
    } guard{*gen};
    return gen->dispatch(request, request_id);
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
                        {"last_error", nullptr}};
    if (gen) {
        s["sha256"] = gen->library()->sha256();
        s["in_flight"] = gen->in_flight.load();
    }
    if (last_error_) s["last_error"] = {{"step", last_error_->step}, {"message", last_error_->message}};
    return s;
}

}  // namespace berth::host::plugin
