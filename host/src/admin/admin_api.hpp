// The operator's API on its own listener: health, the state of every module, swaps, and
// tokens for operators. /modules/... is the API; /plugins/... are its names before 0.2, kept
// (with Deprecation and Link headers) so that clients written against them keep working. Closed: every call but GET /healthz, GET /openapi.json (the public API's merged description), GET /docs and the dashboard's files and code exchange (admin_dashboard.cpp) needs the admin bearer token; a
// Host that is neither loopback nor allowed gets 421 (DNS rebinding); a mutating call needs
// Content-Type: application/json (no cross-site form post reaches it) and is audited.
// Nothing runs on the I/O thread: calls run on the admin API's own thread, swaps on the
// deploy thread.
#pragma once

#include "admin/audit_log.hpp"
#include "contract/openapi.hpp"
#include "http/route_table.hpp"
#include "net/http_service.hpp"

#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace berth::host::plugin {
class module;
class module_set;
}
namespace berth::host::deploy {
class deployer;
}
namespace berth::host::auth {
class token_service;
}
namespace berth::host::exec {
class worker_pool;
}
namespace berth::host::pipeline {
class docs_assets;
}

namespace berth::host::ops {
class telemetry;
class metrics;
}

namespace berth::host::admin {

class lifecycle;
class dashboard_links;

struct admin_settings {
    std::string token;                       // the admin bearer token (hex text)
    std::vector<std::string> allowed_hosts;  // besides loopback names
    const auth::token_service* tokens = nullptr;  // for POST /tokens; null: not offered
    std::shared_ptr<const pipeline::docs_assets> docs;  // Swagger UI for GET /docs; null: 404
    ops::telemetry* telemetry = nullptr;  // events and metrics (ops/telemetry.hpp); null: none
    const ops::metrics* metrics = nullptr;  // GET /metrics (ops/metrics_host.hpp); null: 404
    admin::lifecycle* changes = nullptr;  // POST/DELETE /modules, POST /config/reload; null: 404
};

class admin_api : public net::http_service {
public:
    // Swaps run on `deployer`'s thread, which must outlive this API's thread (see stop()).
    // `modules` is read per call (a snapshot): modules added or removed later are followed.
    admin_api(std::shared_ptr<const plugin::module_set> modules, deploy::deployer& deployer, admin_settings settings,
              std::unique_ptr<audit_log> audit);
    ~admin_api() override;

    std::optional<http::response> check_head(const http::request& head) override;
    void handle(http::request request, completion done) override;

    // Joins the admin API's thread (after the edge has stopped).
    void stop();

private:
    enum route_id : std::size_t {
        health, list_modules, show_module, reload, rollback, issue_token, openapi, retire, metrics,
        add_module, remove_module, readyz, config_reload, dash_page, dash_file, dash_link, dash_session,
        events, route_count
    };
    // admin_gate.cpp: 421, 401 and 415 refusals, before any route is looked at; nullopt lets
    // the call in. A call is mutating unless GET or HEAD; the token is compared by its sha256.
    std::optional<http::response> gate(const http::request& request) const;
    static bool is_mutating(const http::request& r);
    static std::string digest(std::string_view text);
    // `done`, wrapped to append the call and its outcome to the audit log when it changes anything.
    completion audited(const http::request& request, completion done) const;
    void serve(const http::request& request, const completion& done);
    // `module_key` names the module's object in answers: "plugin" on the deprecated routes.
    void serve_route(route_id id, const std::vector<std::pair<std::string, std::string>>& params,
                     const http::request& request, const completion& done, const char* module_key = "module");
    void issue(const http::request& request, const completion& done);  // POST /tokens
    // admin_published.cpp: GET /openapi.json and GET /docs, open without the token.
    http::response merged_openapi(const http::request& request) const;
    http::response docs_page(const http::request& request) const;
    // admin_retire.cpp: POST /modules/{name}/retire?major=N, on the deploy thread.
    void retire_major(const std::shared_ptr<plugin::module>& mod, const http::request& request, const completion& done,
                      const char* module_key);
    // admin_metrics.cpp: GET /metrics, the registry and the modules' state now.
    http::response metrics_page() const;
    // admin_lifecycle.cpp: POST /modules, DELETE /modules/{name}.
    void add_module_call(const http::request& request, const completion& done, const char* module_key);
    void remove_module_call(const std::string& name, const completion& done, const char* module_key);
    // admin_health.cpp: GET /readyz.
    http::response readiness() const;
    // admin_config.cpp: POST /config/reload[?dry_run=true].
    void reload_config_call(const http::request& request, const completion& done);
    // admin_dashboard.cpp: GET / and /dashboard/<file> (open), POST /dashboard/links (token),
    // POST /dashboard/session (open: trades a one-time code for the token).
    static bool is_open_dashboard_call(const http::request& request);
    http::response dashboard_page() const;
    http::response dashboard_asset(std::string_view name) const;
    void dashboard_link(const http::request& request, const completion& done);
    void dashboard_session(const http::request& request, const completion& done);
    std::shared_ptr<plugin::module> find(const std::string& name) const;
    // admin_events.cpp: GET /events?after=SEQ&limit=N, and `done` wrapped to emit an admin_call event.
    http::response events_page(const http::request& request) const;
    completion announced(const http::request& request, completion done) const;

    deploy::deployer& deployer_;
    admin_settings settings_;
    std::string token_digest_;  // sha256 of the admin token, compared in constant time
    std::shared_ptr<audit_log> audit_;
    std::unique_ptr<exec::worker_pool> thread_;
    http::route_table routes_;
    std::shared_ptr<const plugin::module_set> modules_;
    std::unique_ptr<dashboard_links> dashboard_links_;
    // The last merged document, and what it was made from.
    struct merged_cache {
        std::string text, host;
        std::vector<std::shared_ptr<const contract::published_document>> sources;
    };
    mutable std::mutex merged_mutex_;
    mutable merged_cache merged_;
};

}  // namespace berth::host::admin
