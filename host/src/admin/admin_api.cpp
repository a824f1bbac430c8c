#include "admin/admin_api.hpp"

#include "admin/dashboard_links.hpp"
#include "admin/status_json.hpp"
#include "auth/token_service.hpp"
#include "contract/compat.hpp"
#include "contract/json_body.hpp"
#include "contract/json_schema.hpp"
#include "deploy/deployer.hpp"
#include "exec/worker_pool.hpp"
#include "http/problem.hpp"
#include "http/request_id.hpp"
#include "http/target.hpp"
#include "pipeline/docs_ui.hpp"
#include "pipeline/host_routes.hpp"
#include "plugin/module.hpp"
#include "plugin/module_set.hpp"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <spdlog/spdlog.h>

namespace berth::host::admin {

namespace {

const contract::json_schema& reload_body_schema() {
    static const auto schema = contract::json_schema::compile(nlohmann::json::parse(R"({
        "type": "object", "additionalProperties": false,
        "properties": {"library": {"type": "string", "minLength": 2, "maxLength": 4096}}
    })"));
    return *schema;
}

const contract::json_schema& token_body_schema() {
    static const auto schema = contract::json_schema::compile(nlohmann::json::parse(R"({
        "type": "object", "additionalProperties": false, "required": ["subject", "scope"],
        "properties": {
            "subject": {"type": "string", "minLength": 1, "maxLength": 128},
            "scope": {"type": "string", "minLength": 1, "maxLength": 512},
            "ttl_s": {"type": "integer", "minimum": 1, "maximum": 2592000}
        }
    })"));
    return *schema;
}

// RFC 9745: when the /plugins names were deprecated (2026-11-28), as a structured-field date.
constexpr std::string_view deprecated_since = "@1795824000";

// Printable ASCII without spaces: what a subject or a scope token may be made of.
bool is_plain_word(std::string_view s) {
    if (s.empty()) return false;
    for (char c : s)
        if (c <= ' ' || c > '~' || c == '"' || c == '\\') return false;
    return true;
}

// A query value the audit line may keep: a word or a number, short.
bool is_switch_value(std::string_view v) {
    return !v.empty() && v.size() <= 8 &&
           std::all_of(v.begin(), v.end(), [](char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); });
}

bool is_scope_list(std::string_view s) {
    while (!s.empty()) {
        auto sp = s.find(' ');
        if (!is_plain_word(s.substr(0, sp))) return false;
        if (sp == std::string_view::npos) break;
        s.remove_prefix(sp + 1);
    }
    return !s.empty();
}

// The breaking changes of a swap as problem `errors` (at most contract::max_listed_changes).
nlohmann::json change_list(const std::vector<contract_change>& changes) {
    nlohmann::json out = nlohmann::json::array();
    for (std::size_t i = 0; i < changes.size() && i < contract::max_listed_changes; ++i) {
        auto c = contract::to_json(changes[i]);
        c["in"] = "contract";
        out.push_back(std::move(c));
    }
    return out;
}

// `module_key`: "module", or "plugin" on the deprecated /plugins routes (their old shape).
http::response swap_response(const plugin::swap_result& r, const plugin::module& m, const char* module_key) {
    if (r.outcome == plugin::swap_outcome::refused)
        return http::problem(422, r.detail + "; POST .../reload?force=true swaps anyway",
                             {{module_key, m.config().name},
                              {"step", "contract"},
                              {"count", r.breaking.size()},
                              {"errors", change_list(r.breaking)}});
    if (r.outcome == plugin::swap_outcome::failed) {
        const bool forbidden = r.failure && r.failure->step == "policy";
        return http::problem(forbidden ? 403 : 422, r.detail,
                             {{module_key, m.config().name},
                              {"step", r.failure ? r.failure->step : ""},
                              {"reason", r.failure ? r.failure->message : ""}});
    }
    nlohmann::json answer = {
        {"result", plugin::to_string(r.outcome)}, {"detail", r.detail}, {module_key, to_json(m.snapshot())}};
    if (r.restores) {
        answer["restores"] = *r.restores;
        answer["roll_forward"] = r.roll_forward;
    }
    if (!r.breaking.empty()) answer["breaking_changes"] = change_list(r.breaking);
    return http::json_response(200, answer);
}

// Parses and checks a JSON body; a 400 problem when it does not fit. `more` adds checks a
// schema cannot say.
std::variant<nlohmann::json, http::response> checked_body(
    const std::string& text, const contract::json_schema& schema, const char* expected,
    const std::function<void(const nlohmann::json&, nlohmann::json&)>& more = {}) {
    auto parsed = contract::parse_json_body(text);
    nlohmann::json errors = nlohmann::json::array();
    if (auto* bad = std::get_if<contract::body_error>(&parsed)) {
        errors.push_back({{"in", "body"}, {"pointer", bad->pointer}, {"message", bad->message}});
    } else {
        for (auto& v : schema.validate(std::get<nlohmann::json>(parsed)))
            errors.push_back({{"in", "body"}, {"pointer", v.pointer}, {"message", v.message}});
        if (more) more(std::get<nlohmann::json>(parsed), errors);
    }
    if (!errors.empty())
        return http::problem(400, std::string("the body must be ") + expected, {{"errors", std::move(errors)}});
    return std::get<nlohmann::json>(std::move(parsed));
}

// A reload's ?force: absent or false enforces the breaking-change gate, true skips it;
// anything else (another value, the parameter twice) is a 400 problem.
std::variant<deploy::contract_gate, http::response> reload_gate(const std::string& target) {
    auto parsed = http::parse_target(target);  // parsed once already: it is valid
    if (!parsed) return deploy::contract_gate::enforce;
    std::optional<std::string> force;
    for (auto& [k, v] : parsed->query) {
        if (k != "force") continue;
        if (force || (v != "true" && v != "false"))
            return http::problem(400, "force must be given once, as true or false",
                                 {{"errors", nlohmann::json::array({nlohmann::json{
                                                 {"in", "query"}, {"pointer", "/force"}, {"message", "must be true or false, once"}}})}});
        force = v;
    }
    return force == "true" ? deploy::contract_gate::skip : deploy::contract_gate::enforce;
}

void library_is_absolute(const nlohmann::json& body, nlohmann::json& errors) {
    auto lib = body.is_object() ? body.find("library") : body.end();
    if (body.is_object() && lib != body.end() && lib->is_string() &&
        !std::filesystem::path(lib->get<std::string>()).is_absolute())
        errors.push_back({{"in", "body"}, {"pointer", "/library"}, {"message", "must be an absolute path"}});
}

}  // namespace

admin_api::admin_api(std::shared_ptr<const plugin::module_set> modules, deploy::deployer& deployer,
                     admin_settings settings, std::unique_ptr<audit_log> audit)
    : deployer_(deployer),
      settings_(std::move(settings)),
      token_digest_(digest(settings_.token)),
      audit_(std::move(audit)),
      thread_(std::make_unique<exec::worker_pool>(1)),
      modules_(std::move(modules)),
      dashboard_links_(std::make_unique<dashboard_links>()) {
    routes_.add("GET", "/healthz", health);
    routes_.add("GET", "/modules", list_modules);
    routes_.add("GET", "/modules/{name}", show_module);
    routes_.add("POST", "/modules/{name}/reload", reload);
    routes_.add("POST", "/modules/{name}/rollback", rollback);
    routes_.add("POST", "/modules/{name}/retire", retire);
    routes_.add("POST", "/tokens", issue_token);
    routes_.add("GET", "/openapi.json", openapi);
    routes_.add("GET", "/metrics", metrics);
    routes_.add("POST", "/modules", add_module);
    routes_.add("DELETE", "/modules/{name}", remove_module);
    routes_.add("GET", "/readyz", readyz);
    routes_.add("POST", "/config/reload", config_reload);
    routes_.add("GET", "/", dash_page);
    routes_.add("GET", "/dashboard/{file}", dash_file);
    routes_.add("POST", "/dashboard/links", dash_link);
    routes_.add("POST", "/dashboard/session", dash_session);
    routes_.add("GET", "/events", events);
    // The names before 0.2, kept for clients written against them: same calls, old shape.
    routes_.add("GET", "/plugins", route_count + list_modules);
    routes_.add("GET", "/plugins/{name}", route_count + show_module);
    routes_.add("POST", "/plugins/{name}/reload", route_count + reload);
    routes_.add("POST", "/plugins/{name}/rollback", route_count + rollback);
    routes_.add("POST", "/plugins/{name}/retire", route_count + retire);
    routes_.add("POST", "/plugins", route_count + add_module);
    routes_.add("DELETE", "/plugins/{name}", route_count + remove_module);
}

admin_api::~admin_api() { stop(); }

void admin_api::stop() { thread_->join(); }

std::shared_ptr<plugin::module> admin_api::find(const std::string& name) const { return modules_->find(name); }

admin_api::completion admin_api::audited(const http::request& request, completion done) const {
    if (!is_mutating(request)) return done;
    // The path, and of the query only the admin API's own switches with short plain values:
    // the rest could carry anything, and the line is the operator's, not the caller's.
    const auto path = request.target.substr(0, request.target.find('?')).substr(0, 256);
    std::string switches;
    if (auto parsed = http::parse_target(request.target))
        for (auto& [k, v] : parsed->query)
            if ((k == "force" || k == "dry_run" || k == "major") && is_switch_value(v) && switches.size() < 64)
                switches += (switches.empty() ? "?" : "&") + k + "=" + v;
    // The client may choose X-Request-Id (the edge keeps a plain one): the line's id is always
    // one the host made, the client's is kept apart, so no line can pass for another call's.
    const bool client_id = !request.id.empty() && request.header("X-Request-Id") == request.id;
    const std::string id = client_id ? http::request_id_for({}) : request.id;
    http::request head;  // what announced() reads: the event carries the line's id
    head.method = request.method;
    head.target = path;
    head.id = id;
    const bool open = is_open_dashboard_call(request);
    completion plain = done;
    completion noted = announced(head, std::move(done));
    // The log outlives any call: the deploy thread may answer after the API is gone.
    return [audit = audit_, peer = request.peer, id, client = client_id ? request.id : std::string(),
            call = request.method.substr(0, 16) + " " + path + switches, open, plain = std::move(plain),
            noted = std::move(noted)](http::response r) {
        // POST /dashboard/session is open to anyone: a refused one is counted as a refused
        // token is (coalesced, no event), so that nobody can flood the log or the event ring.
        if (open && r.status / 100 != 2) {
            if (audit) audit->record_refusal(peer, r.status);
            return plain(std::move(r));
        }
        if (audit) {
            std::string detail;
            auto j = nlohmann::json::parse(r.body, nullptr, false);
            if (j.is_object() && j.contains("detail") && j["detail"].is_string()) detail = j["detail"];
            audit->record(peer, id, call, r.status, detail, client);
        }
        noted(std::move(r));
    };
}

void admin_api::handle(http::request request, completion done) {
    auto run = [this, request = std::move(request), done = std::move(done)]() mutable {
        // Answered 503 at its deadline while it waited for this thread: it must not run (a
        // reload the operator was told did not happen must not happen).
        if (request.admission && !request.admission->begin()) return;
        try {
            if (auto refusal = gate(request)) {
                if (is_mutating(request) && audit_) audit_->record_refusal(request.peer, refusal->status);
                return done(std::move(*refusal));
            }
            // Every authenticated mutating call leaves a line of its own.
            serve(request, audited(request, done));
        } catch (const std::exception& e) {
            spdlog::error("admin request {} failed: {}", request.id, e.what());
            audited(request, done)(http::problem(
                500, "the admin API failed while handling the request; see the log for request " + request.id));
        }
    };
    thread_->post(std::move(run));
}

void admin_api::serve(const http::request& request, const completion& done) {
    if (pipeline::is_docs_target(request.target)) return done(docs_page(request));
    std::string why;
    auto target = http::parse_target(request.target, &why);
    if (!target) return done(http::problem(400, why));
    // HEAD is GET without the body (the edge drops it).
    auto m = routes_.find(request.method == "HEAD" ? std::string_view("GET") : std::string_view(request.method),
                          target->segments);
    if (m.result == http::route_table::outcome::not_found)
        return done(http::problem(404, "no admin route matches " + request.method + " " + target->path));
    if (m.result == http::route_table::outcome::method_not_allowed) {
        auto r = http::problem(405, request.method + " is not allowed on " + target->path);
        r.set_header("Allow", http::join(m.allowed));
        return done(std::move(r));
    }
    const bool legacy = m.id >= route_count;
    const auto id = static_cast<route_id>(m.id % route_count);
    if (!legacy) return serve_route(id, m.params, request, done);
    // A deprecated /plugins route: the same call, and a pointer to its successor, built from
    // the route and a configured module's name (never from what the client sent, which could
    // carry anything once decoded).
    std::string successor = "/modules";
    if (!m.params.empty()) {
        auto mod = find(m.params.front().second);
        successor = mod ? successor + "/" + mod->config().name : "";
        if (mod && id == reload) successor += "/reload";
        if (mod && id == rollback) successor += "/rollback";
        if (mod && id == retire) successor += "/retire";
    }
    serve_route(id, m.params, request, [done, successor](http::response r) {
        r.set_header("Deprecation", std::string(deprecated_since));
        if (!successor.empty()) r.set_header("Link", "<" + successor + ">; rel=\"successor-version\"");
        done(std::move(r));
    }, "plugin");
}

void admin_api::serve_route(route_id id, const std::vector<std::pair<std::string, std::string>>& params,
                            const http::request& request, const completion& done, const char* module_key) {
    switch (id) {
        case health: {
            auto now = modules_->snapshot();
            std::size_t serving = 0;
            for (auto& mod : *now) serving += mod->state() == module_state::serving ? 1 : 0;
            return done(http::json_response(
                200, {{"status", "ok"}, {"modules", now->size()}, {"plugins", now->size()}, {"serving", serving}}));
        }
        case list_modules: {
            nlohmann::json list = nlohmann::json::array();
            for (auto& mod : *modules_->snapshot()) list.push_back(to_json(mod->snapshot()));
            return done(http::json_response(200, list));
        }
        case issue_token: return issue(request, done);
        case openapi: return done(merged_openapi(request));
        case metrics: return done(metrics_page());
        case add_module: return add_module_call(request, done, module_key);
        case readyz: return done(readiness());
        case config_reload: return reload_config_call(request, done);
        case dash_page: return done(dashboard_page());
        case dash_file: return done(dashboard_asset(params.front().second));
        case dash_link: return dashboard_link(request, done);
        case dash_session: return dashboard_session(request, done);
        case events: return done(events_page(request));
        default: break;
    }

    const auto& name = params.front().second;
    auto mod = find(name);
    if (!mod) return done(http::problem(404, "no module named '" + name + "' is configured"));
    if (id == show_module) return done(http::json_response(200, to_json(mod->snapshot())));
    if (id == remove_module) return remove_module_call(mod->config().name, done, module_key);
    if (id == retire) return retire_major(mod, request, done, module_key);

    auto gate = deploy::contract_gate::enforce;
    if (id == reload) {
        auto checked = reload_gate(request.target);
        if (auto* refusal = std::get_if<http::response>(&checked)) return done(std::move(*refusal));
        gate = std::get<deploy::contract_gate>(checked);
    }
    std::optional<std::filesystem::path> library;
    if (id == reload && !request.body.empty()) {
        auto body = checked_body(request.body, reload_body_schema(), R"(empty or {"library": "/absolute/path.so"})",
                                 library_is_absolute);
        if (auto* refusal = std::get_if<http::response>(&body)) return done(std::move(*refusal));
        auto& b = std::get<nlohmann::json>(body);
        if (b.contains("library")) library = std::filesystem::path(b["library"].get<std::string>()).lexically_normal();
    }

    auto task = [&deployer = deployer_, mod, library, gate, rolling_back = id == rollback, done, module_key]() {
        if (rolling_back) {
            auto r = deployer.rollback(*mod);
            if (!r) return done(http::problem(409, "there is no previous generation of '" + mod->config().name + "' to roll back to"));
            return done(swap_response(*r, *mod, module_key));
        }
        const bool forced = gate == deploy::contract_gate::skip;
        done(swap_response(deployer.reload(*mod, library, forced ? "admin API, force" : "admin API", gate), *mod, module_key));
    };
    if (!deployer_.post(std::move(task))) done(http::problem(503, "the host is stopping"));
}

void admin_api::issue(const http::request& request, const completion& done) {
    if (!settings_.tokens) return done(http::problem(404, "this host issues no tokens"));
    auto body = checked_body(request.body, token_body_schema(), R"({"subject": "...", "scope": "a b", "ttl_s"?: n})");
    if (auto* refusal = std::get_if<http::response>(&body)) return done(std::move(*refusal));
    auto& b = std::get<nlohmann::json>(body);
    const std::string subject = b["subject"], scope = b["scope"];
    if (!is_plain_word(subject)) return done(http::problem(400, "subject must be printable ASCII without spaces or quotes"));
    if (!is_scope_list(scope)) return done(http::problem(400, "scope must be scope names separated by single spaces"));
    std::optional<std::uint32_t> ttl;
    if (b.contains("ttl_s")) ttl = b["ttl_s"].get<std::uint32_t>();
    auto t = settings_.tokens->issue(subject, scope, ttl);
    spdlog::info("admin API: issued a token for '{}' with scope '{}' (request {})", subject, scope, request.id);
    done(http::json_response(201, {{"token", t.token},
                                   {"token_type", "Bearer"},
                                   {"expires_at", t.expires_at},
                                   {"subject", subject},
                                   {"scope", scope},
                                   {"detail", "issued a token for '" + subject + "' with scope '" + scope + "'"}}));
}

}  // namespace berth::host::admin
