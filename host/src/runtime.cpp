#include <berth/host/runtime.hpp>
#include <berth/version.h>

#include "files/private_file.hpp"
#include "http/problem.hpp"
#include "ops/logging_events.hpp"
#include "ops/logging_streams.hpp"
#include "ops/metrics_host.hpp"
#include "ops/metrics_leases.hpp"
#include "plugin/module.hpp"
#include "runtime_impl.hpp"

#include <nlohmann/json.hpp>
#include <sodium.h>
#include <spdlog/spdlog.h>

#include <sys/resource.h>
#include <sys/stat.h>

#include <algorithm>
#include <stdexcept>

namespace berth::host {

namespace {

// Descriptors kept out of the connection budget: databases (a few per module), plugin files
// during swaps, the admin API, logs, inotify.
constexpr std::size_t descriptor_headroom = 256;

// Raises the soft descriptor limit to the hard one; returns the connections that fit under it.
std::size_t connection_budget() {
    struct rlimit rl {};
    if (::getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
        auto wanted = rl;
        wanted.rlim_cur = rl.rlim_max;
        if (::setrlimit(RLIMIT_NOFILE, &wanted) == 0) rl = wanted;
    }
    const std::size_t limit = rl.rlim_cur == RLIM_INFINITY ? 1'048'576 : static_cast<std::size_t>(rl.rlim_cur);
    const std::size_t budget = limit > 2 * descriptor_headroom ? limit - descriptor_headroom : limit / 2;
    spdlog::info("descriptor limit {}: up to {} client connections across the plugin ports", limit, budget);
    return budget;
}

bool is_loopback(const std::string& address) {
    return address == "localhost" || address == "::1" || address.rfind("127.", 0) == 0;
}

}  // namespace

runtime::runtime(config cfg) : impl_(std::make_unique<impl>()) { impl_->cfg = std::move(cfg); }

runtime::~runtime() { stop(); }

const char* runtime::version() { return BERTH_VERSION; }

void runtime::start() {
    if (impl_->started) throw std::logic_error("runtime already started");
    impl_->started = true;
    if (sodium_init() < 0) throw std::runtime_error("libsodium failed to initialise");
    ::umask(077);
    auto& c = impl_->cfg;
    std::string admin_token;
    std::unique_ptr<admin::audit_log> audit;
    try {
        files::make_private_dir(c.data_dir);
        files::make_private_dir(c.data_dir / "shadow");
        if (c.auth.secret_file.empty()) c.auth.secret_file = c.data_dir / "token.key";
        // Sessions that ended (issue 12): loaded before any token is accepted; kept as long as the
        // longest-lived token issued (the configured ttl, or a longer one minted since).
        impl_->revocations = std::make_unique<auth::revocations>(
            c.data_dir / "revoked-sessions.json", auth::revocations::limits{.token_ttl_s = c.auth.token_ttl_s});
        impl_->tokens = std::make_unique<auth::token_service>(c.auth, impl_->revocations.get());
        if (c.admin_token_file.empty()) c.admin_token_file = c.data_dir / "admin.token";
        admin_token = files::load_or_create_secret(c.admin_token_file, "admin API token");
        if (admin_token.size() < 32) throw files::file_error("the admin token in " + c.admin_token_file.string() +
                                                             " is shorter than 32 characters");
        audit = std::make_unique<admin::audit_log>(c.data_dir / "audit.log");
        impl_->logs = std::make_unique<ops::log_streams>(c.logging);
        impl_->logs->attach(impl_->telemetry);
    } catch (const files::file_error& e) {
        throw start_error(e.what());
    }

    impl_->services.tokens = impl_->tokens.get();
    impl_->services.telemetry = &impl_->telemetry;
    impl_->metrics = ops::make_host_metrics(impl_->telemetry, impl_->tokens.get());
    auto leases = std::make_shared<ops::lease_metrics>();  // modules' database lease waits (ABI 1.2)
    impl_->metrics->add_collector([leases](ops::exposition& out) { leases->collect(out); });
    impl_->services.lease_wait = [leases](std::string_view module, std::chrono::nanoseconds waited, bool granted) {
        leases->observe(module, waited, granted);
    };
    impl_->services.call = [this](const std::string& callee, const http::request& req, const abi::request_context& ctx) {
        if (auto m = impl_->modules->find(callee)) return m->call(req, ctx);
        return http::problem(502, "no module named '" + callee + "' is configured");
    };
    impl_->server = std::make_unique<net::server>(c.io_threads, connection_budget());
    impl::fill_defaults(c);
    impl_->live = c;
    impl_->swap = deploy::swap_settings{std::chrono::milliseconds(c.drain_timeout_ms),
                                        std::chrono::milliseconds(c.ready_timeout_ms), deploy::policy_for(c),
                                        deploy::resolve_worker(c.worker_executable)};
    const auto& swap = impl_->swap;

    // Swagger UI for /docs: read once; without it every port still serves, /docs answers 404.
    const auto docs_dir = c.docs_assets_dir.empty() ? pipeline::docs_assets::default_dir() : c.docs_assets_dir;
    auto docs = pipeline::docs_assets::load(docs_dir);
    impl_->docs = docs;
    if (!docs->installed()) spdlog::warn("/docs answers 404 on every port: the Swagger UI files are not usable ({})", docs->missing());

    for (auto& pc : c.modules) {
        auto o = impl_->open_module(pc);
        if (o.listener) impl_->listeners[pc.name] = std::move(o.listener);
        else o.module->set_failure({"listen", o.listen_error});
        impl_->modules->add(std::move(o.module));
    }
    impl_->deployer = std::make_unique<deploy::deployer>(
        impl_->modules, swap,
        deploy::library_watcher::timing{std::chrono::milliseconds(c.watch_debounce_ms),
                                        std::chrono::milliseconds(c.watch_poll_interval_ms)});
    impl_->admin = std::make_shared<admin::admin_api>(
        impl_->modules, *impl_->deployer,
        admin::admin_settings{admin_token, c.admin_allowed_hosts, impl_->tokens.get(), docs, &impl_->telemetry,
                              impl_->metrics.get(), impl_.get()},
        std::move(audit));
    impl_->admin_listener =
        impl_->server->listen("admin", c.admin_address, c.admin_port, c.admin_limits, impl_->admin, true);
    if (!is_loopback(c.admin_address))
        spdlog::warn("the admin API listens on {}, not on loopback: anyone who can reach it can try its token",
                     c.admin_address);
    impl_->server->run();
    spdlog::info("admin API on http://{}:{}", impl_->admin_listener->address(), impl_->admin_listener->port());

    // Boot loads run here, before the deploy thread starts: nothing else swaps yet.
    impl_->deployer->boot();
    for (auto& m : *impl_->modules->snapshot()) {
        auto s = m->snapshot();
        spdlog::info("[{}] {} on http://{}:{}{}", s.name, to_string(s.state), s.address, s.port,
                     s.bound ? "" : " (not bound)");
    }
    impl_->deployer->start();
    ops::emit(&impl_->services, "start", "",
              {{"version", BERTH_VERSION}, {"modules", impl_->modules->snapshot()->size()}});
}

std::vector<unload_result> runtime::stop() {
    std::vector<unload_result> out;
    if (!impl_->started || impl_->stopped) return out;
    impl_->stopped = true;
    impl_->stopping = true;
    ops::emit(&impl_->services, "stop", "", {{"grace_ms", impl_->cfg.shutdown_grace_ms}});
    // No swaps from file changes (a deploy script that replaces a file, then restarts, must not
    // start one); then the edge (no new requests, in-flight ones finish), the handler threads,
    // the admin API's thread, the deploy thread (queued swaps), and last the plugins. Any of
    // them may be missing when start() failed part-way.
    if (impl_->deployer) impl_->deployer->stop_watching();
    if (impl_->server) impl_->server->stop(std::chrono::milliseconds(impl_->cfg.shutdown_grace_ms));
    for (auto& m : *impl_->modules->snapshot()) m->stop_workers();
    if (impl_->admin) impl_->admin->stop();
    if (impl_->deployer) impl_->deployer->stop();
    impl_->listeners.clear();
    impl_->admin_listener.reset();
    impl_->server.reset();
    impl_->admin.reset();
    for (auto& m : impl_->modules->clear())
        for (auto& report : m->unload_all()) out.push_back({m->config().name, report.unloaded, report.detail});
    plugin::generation::join_abandoned(std::chrono::seconds(6));
    if (impl_->logs) impl_->logs->close();
    return out;
}

std::uint16_t runtime::admin_port() const {
    return impl_->admin_listener ? impl_->admin_listener->port() : 0;
}

std::optional<std::uint16_t> runtime::module_port(const std::string& name) const {
    auto m = impl_->modules->find(name);
    if (m && m->port() != 0) return m->port();
    return std::nullopt;
}

std::vector<module_snapshot> runtime::modules() const {
    auto now = impl_->modules->snapshot();
    std::vector<module_snapshot> out;
    out.reserve(now->size());
    for (auto& m : *now) out.push_back(m->snapshot());
    return out;
}

bool runtime::ready() const {
    if (!impl_->started || impl_->stopped) return false;
    auto now = impl_->modules->snapshot();
    return std::all_of(now->begin(), now->end(), [](auto& m) { return m->ready(); });
}

void runtime::impl::fill_defaults(config& c) {
    if (c.admin_token_file.empty()) c.admin_token_file = c.data_dir / "admin.token";
    for (auto& pc : c.modules)
        if (pc.limits.max_in_flight == 0) pc.limits.max_in_flight = std::max(1u, c.worker_threads);
}

const config& runtime::configuration() const { return impl_->cfg; }

}  // namespace berth::host
