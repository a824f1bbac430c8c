#include "plugin/generation.hpp"

#include "abi/abi_bridge.hpp"
#include "auth/token_service.hpp"
#include "contract/json_body.hpp"

#include <berth/json_limits.hpp>
#include "contract/json_schema.hpp"
#include "http/problem.hpp"
#include "http/route_table.hpp"
#include "http/target.hpp"
#include "plugin/route_contract.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <charconv>
#include <future>
#include <thread>
#include <map>

namespace berth::host::plugin {

using abi::bytes;
using abi::response_sink;
using abi::text_sink;

struct generation::route_contract {
    std::string method, path;
    std::shared_ptr<const berth::host::contract::json_schema> body;
    std::shared_ptr<const berth::host::contract::json_schema> query;
    std::map<std::string, std::string> query_types;  // declared property type, for conversion
    bool auth = false;                 // a valid bearer token is required
    std::vector<std::string> scopes;   // ... carrying all of these
    std::vector<std::string> callers;  // only these modules may call (in-process); empty: anyone
};

struct generation::routing {
    http::route_table table;
    std::vector<generation::route_contract> routes;
};

struct generation::admitted {
    http::parsed_target target;
    http::route_table::match match;
    const route_contract* contract;
    std::string subject, scope;
};




std::variant<std::shared_ptr<generation>, load_failure> generation::start(std::shared_ptr<plugin_library> library,
                                                                        const plugin_config& config,
                                                                        const std::filesystem::path& data_dir,
                                                                        std::uint64_t number,
                                                                        std::chrono::milliseconds ready_timeout,
                                                                        const host_services* services) {
    std::shared_ptr<generation> g(new generation());
    g->library_ = std::move(library);
    g->d_ = &g->library_->descriptor();
    g->module_ = config.name;
    g->name_ = g->d_->name;
    g->version_ = g->d_->version;
    g->number_ = number;
    g->services_ = services;
    g->host_context_ = abi::host_context{g->module_, services};
    g->host_api_ = abi::host_api(&g->host_context_);
    const std::string file = g->library_->source().string();

    const std::string data_dir_text = data_dir.string();
    berth_create_args args{sizeof(berth_create_args), bytes(config.name), bytes(config.settings_json),
                           bytes(config.database), bytes(data_dir_text)};
    text_sink error;
    if (g->d_->create(&g->host_api_, &args, &g->instance_, &error.writer) != BERTH_OK || !g->instance_) {
        g->instance_ = nullptr;
        return load_failure{"create", file + ": " + (error.text.empty() ? "create failed" : error.text)};
    }

    text_sink manifest;
    if (g->d_->describe(g->instance_, &manifest.writer, &error.writer) != BERTH_OK)
        return load_failure{"describe", file + ": " + error.text};
    g->manifest_ = nlohmann::json::parse(manifest.text, nullptr, false);
    if (g->manifest_.is_discarded() || !g->manifest_.is_object() || !g->manifest_.contains("routes") ||
        !g->manifest_["routes"].is_array())
        return load_failure{"describe", file + ": the manifest is not a JSON object with a \"routes\" array"};

    g->routing_ = std::make_unique<routing>();
    std::size_t index = 0;
    for (auto& r : g->manifest_["routes"]) {
        const std::string where = file + ": route #" + std::to_string(index);
        if (!r.is_object() || !r.contains("method") || !r.contains("path") || !r["method"].is_string() ||
            !r["path"].is_string())
            return load_failure{"describe", where + " needs a method and a path"};
        route_contract c;
        c.method = r["method"].get<std::string>();
        c.path = r["path"].get<std::string>();
        try {
            g->routing_->table.add(c.method, c.path, index);
            if (r.contains("schema")) c.body = contract::json_schema::compile(r["schema"]);
            if (r.contains("auth")) {
                c.auth = true;
                if (!r["auth"].is_object()) throw std::invalid_argument("auth must be an object");
                c.scopes = string_list(r["auth"].value("scopes", nlohmann::json::array()), "auth.scopes");
            }
            if (r.contains("callers")) c.callers = string_list(r["callers"], "callers");
            if (r.contains("query")) {
                c.query = contract::json_schema::compile(r["query"]);
                if (auto props = r["query"].find("properties"); props != r["query"].end() && props->is_object())
                    for (auto& [k, v] : props->items()) c.query_types[k] = declared_type(v);
            }
        } catch (const std::exception& e) {
            return load_failure{"describe", where + " (" + c.method + " " + c.path + "): " + e.what()};
        }
        g->routing_->routes.push_back(std::move(c));
        ++index;
    }

    if (g->d_->start(g->instance_, &error.writer) != BERTH_OK)
        return load_failure{"start", file + ": " + (error.text.empty() ? "start failed" : error.text)};
    g->started_ = true;
    if (g->d_->ready) {
        // On its own thread, so a readiness check that hangs cannot hang the swap. The thread
        // owns a reference: if we give up waiting, it shuts the generation down when ready returns.
        struct outcome {
            int rc = BERTH_ERROR;
            std::string text;
        };
        auto promise = std::make_shared<std::promise<outcome>>();
        auto answer = promise->get_future();
        auto finished = std::make_shared<std::atomic<bool>>(false);
        std::thread waiter([g, promise, finished]() mutable {
            text_sink ready_error;
            outcome o;
            o.rc = g->d_->ready(g->instance_, &ready_error.writer);
            o.text = std::move(ready_error.text);
            promise->set_value(std::move(o));
            g.reset();  // if abandoned, this is the last reference: stop, destroy, unload here
            *finished = true;
        });
        if (answer.wait_for(ready_timeout) != std::future_status::ready) {
            std::lock_guard lock(abandoned_mutex());
            abandoned().push_back({std::move(waiter), finished});
            return load_failure{"ready", file + ": not ready within " + std::to_string(ready_timeout.count()) + " ms"};
        }
        waiter.join();
        auto o = answer.get();
        if (o.rc != BERTH_OK) return load_failure{"ready", file + ": " + (o.text.empty() ? "not ready" : o.text)};
    }
    g->loaded_at_ = std::chrono::system_clock::now();
    return g;
}

generation::~generation() { shutdown(); }

std::mutex& generation::abandoned_mutex() {
    static std::mutex m;
    return m;
}

std::vector<generation::abandoned_ready>& generation::abandoned() {
    static std::vector<abandoned_ready> threads;
    return threads;
}

std::size_t generation::join_abandoned(std::chrono::milliseconds limit) {
    std::vector<abandoned_ready> threads;
    {
        std::lock_guard lock(abandoned_mutex());
        threads.swap(abandoned());
    }
    const auto until = std::chrono::steady_clock::now() + limit;
    std::size_t left = 0;
    for (auto& a : threads) {
        while (!*a.finished && std::chrono::steady_clock::now() < until)
            std::this_thread::sleep_for(std::chrono::milliseconds(10));
        if (*a.finished) {
            a.thread.join();
        } else {
            ++left;
            a.thread.detach();
        }
    }
    if (left) spdlog::error("{} plugin ready() call(s) never returned; their generations are leaked", left);
    return left;
}

std::list<std::shared_ptr<request_ticket>>::iterator generation::enter(std::shared_ptr<request_ticket> t) {
    ++in_flight;
    std::lock_guard lock(tickets_mutex_);
    return tickets_.insert(tickets_.end(), std::move(t));
}

void generation::leave(std::list<std::shared_ptr<request_ticket>>::iterator it) {
    {
        std::lock_guard lock(tickets_mutex_);
        tickets_.erase(it);
    }
    --in_flight;
}

std::vector<std::shared_ptr<request_ticket>> generation::tickets() const {
    std::lock_guard lock(tickets_mutex_);
    return {tickets_.begin(), tickets_.end()};
}

void generation::shutdown() {
    if (!instance_) return;
    if (started_) d_->stop(instance_);
    started_ = false;
    d_->destroy(instance_);
    instance_ = nullptr;
}

// The stages before any contract check: target, route (404/405), callers (403), bearer token
// and scopes (401/403). Run again, on the header alone, before a 100 Continue.
std::variant<generation::admitted, http::response> generation::admit(const http::request& req,
                                                                   const request_context& ctx) const {
    std::string why;
    auto target = http::parse_target(req.target, &why);
    if (!target) return http::problem(400, why);

    // HEAD is GET without the body (the edge drops it).
    auto match = routing_->table.find(req.method == "HEAD" ? std::string_view("GET") : std::string_view(req.method),
                                      target->segments);
    if (match.result == http::route_table::outcome::not_found)
        return http::problem(404, "no route matches " + req.method + " " + target->path);
    if (match.result == http::route_table::outcome::method_not_allowed) {
        std::string allow;
        for (auto& m : match.allowed) allow += (allow.empty() ? "" : ", ") + m;
        auto r = http::problem(405, req.method + " is not allowed on " + target->path + "; allowed: " + allow);
        r.set_header("Allow", allow);
        return r;
    }
    const route_contract& c = routing_->routes[match.id];

    if (!c.callers.empty() && !contains(c.callers, ctx.caller)) {
        std::string list;
        for (auto& m : c.callers) list += (list.empty() ? "" : ", ") + m;
        return http::problem(403, c.method + " " + c.path + " may only be called by the module(s): " + list);
    }
    admitted out{std::move(*target), std::move(match), &c, {}, {}};
    if (!c.auth) return out;
    auto unauthorized = [](std::string detail, std::string challenge) {
        auto r = http::problem(401, detail);
        r.set_header("WWW-Authenticate", std::move(challenge));
        return r;
    };
    auto header = req.header("Authorization");
    if (header.empty()) return unauthorized("this route needs a bearer token", "Bearer realm=\"berth\"");
    if (header.size() < 7 || !http::iequals(header.substr(0, 7), "Bearer "))
        return unauthorized("the Authorization header must be 'Bearer <token>'",
                            "Bearer realm=\"berth\", error=\"invalid_request\"");
    if (!services_ || !services_->tokens)
        return unauthorized("this host accepts no tokens", "Bearer realm=\"berth\", error=\"invalid_token\"");
    auto verdict = services_->tokens->verify(header.substr(7));
    if (auto* no = std::get_if<auth::token_service::rejected>(&verdict)) {
        // The client learns only that it is invalid. The log says why, at debug: anyone can
        // send bad tokens, and the log must not be theirs to fill.
        spdlog::debug("[{}] request {}: bearer token refused: {}", module_, ctx.request_id, no->reason);
        return unauthorized("the bearer token is not valid", "Bearer realm=\"berth\", error=\"invalid_token\"");
    }
    auto& ok = std::get<auth::token_service::verified>(verdict);
    auto held = split_scopes(ok.scope);
    std::string missing;
    for (auto& need : c.scopes)
        if (!contains(held, need)) missing += (missing.empty() ? "" : " ") + need;
    if (!missing.empty()) {
        auto r = http::problem(403, "the token lacks the scope(s): " + missing);
        r.set_header("WWW-Authenticate", "Bearer realm=\"berth\", error=\"insufficient_scope\", scope=\"" + missing + "\"");
        return r;
    }
    out.subject = std::move(ok.subject);
    out.scope = std::move(ok.scope);
    return out;
}

std::optional<http::response> generation::check_head(const http::request& head, const request_context& ctx) const {
    auto a = admit(head, ctx);
    if (auto* refusal = std::get_if<http::response>(&a)) return std::move(*refusal);
    return std::nullopt;
}

http::response generation::dispatch(const http::request& req, const request_context& ctx) {
    const std::string& request_id = ctx.request_id;
    auto stages = admit(req, ctx);
    if (auto* refusal = std::get_if<http::response>(&stages)) return std::move(*refusal);
    auto& [target_value, match, contract, subject, scope] = std::get<admitted>(stages);
    const auto* target = &target_value;
    const route_contract& c = *contract;

    nlohmann::json errors = nlohmann::json::array();
    if (c.query) {
        nlohmann::json q = nlohmann::json::object();
        for (auto& [k, v] : target->query) {
            auto t = c.query_types.find(k);
            const std::string type = t == c.query_types.end() ? "string" : t->second;
            if (type == "array") q[k].push_back(v);
            else if (!q.contains(k)) q[k] = convert_query_value(type, v);
        }
        for (auto& v : c.query->validate(q))
            errors.push_back({{"in", "query"}, {"pointer", v.pointer}, {"message", v.message}});
    }
    if (c.body) {
        auto ct = req.header("Content-Type");
        if (!ct.empty() && !http::is_json_media_type(ct))
            return http::problem(415, "this route takes application/json, not " + std::string(ct));
        auto parsed = contract::parse_json_body(req.body);
        if (auto* bad = std::get_if<contract::body_error>(&parsed))
            errors.push_back({{"in", "body"}, {"pointer", bad->pointer}, {"message", bad->message}});
        else
            for (auto& v : c.body->validate(std::get<nlohmann::json>(parsed)))
                errors.push_back({{"in", "body"}, {"pointer", v.pointer}, {"message", v.message}});
    }
    if (!c.body && !req.body.empty()) {
        // No schema: the plugin parses the body itself, maybe with an SDK older than its depth
        // limit. JSON nested past the limit would overflow whatever walks it, so it stops here.
        auto ct = req.header("Content-Type");
        if ((ct.empty() || http::is_json_media_type(ct)) && berth::json_depth(req.body) > berth::max_json_depth)
            errors.push_back({{"in", "body"},
                              {"pointer", ""},
                              {"message", "nested more than " + std::to_string(berth::max_json_depth) + " levels deep"}});
    }
    if (!errors.empty())
        return http::problem(400, "the request does not match the contract of " + c.method + " " + c.path,
                             nlohmann::json{{"errors", std::move(errors)}});

    std::vector<berth_pair> params, query, headers;
    params.reserve(match.params.size());
    for (auto& [k, v] : match.params) params.push_back({bytes(k), bytes(v)});
    query.reserve(target->query.size());
    for (auto& [k, v] : target->query) query.push_back({bytes(k), bytes(v)});
    headers.reserve(req.headers.size());
    for (auto& [k, v] : req.headers) headers.push_back({bytes(k), bytes(v)});
    berth_request raw{sizeof(berth_request),
                      static_cast<std::uint32_t>(match.id),
                      bytes(req.method),
                      bytes(req.target),
                      bytes(target->path),
                      params.data(),
                      params.size(),
                      query.data(),
                      query.size(),
                      headers.data(),
                      headers.size(),
                      bytes(req.body),
                      bytes(request_id),
                      bytes(subject),
                      bytes(scope),
                      bytes(ctx.caller)};

    response_sink out;
    text_sink error;
    if (d_->handle(instance_, &raw, &out.writer, &error.writer) != BERTH_OK) {
        spdlog::error("[{}] {} {} failed (request {}): {}", module_, req.method, target->path, request_id,
                      error.text.empty() ? "no message" : error.text);
        return http::problem(500, "the module failed while handling the request; see the host log for request " +
                                      request_id);
    }
    if (out.response.status < 200 || out.response.status > 599) {
        spdlog::error("[{}] answered with status {}, which a handler may not send", module_, out.response.status);
        return http::problem(500, "the module answered with an invalid status");
    }
    if (out.response.status == 204 || out.response.status == 304) out.response.body.clear();  // they have no body
    return std::move(out.response);
}

}  // namespace berth::host::plugin
