#include "admin/admin_api.hpp"

#include "contract/json_schema.hpp"
#include "http/problem.hpp"
#include "http/target.hpp"
#include "plugin/module.hpp"

#include <nlohmann/json.hpp>

namespace berth::host::admin {

namespace {

// What a reload call may carry: {"library": "/absolute/path.so"}, or nothing.
const contract::json_schema& reload_body_schema() {
    static const auto schema = contract::json_schema::compile(nlohmann::json::parse(R"({
        "type": "object", "additionalProperties": false,
        "properties": {"library": {"type": "string", "pattern": "^/", "minLength": 2}}
    })"));
    return *schema;
}

http::response swap_response(const plugin::swap_result& r, const plugin::module& m) {
    if (r.result == plugin::swap_result::outcome::failed) {
        return http::problem(422, r.detail,
                             {{"plugin", m.config().name},
                              {"step", r.failure ? r.failure->step : ""},
                              {"reason", r.failure ? r.failure->message : ""}});
    }
    return http::json_response(200, {{"result", plugin::to_string(r.result)}, {"detail", r.detail}, {"plugin", m.status()}});
}

std::string allow_list(const std::vector<std::string>& methods) {
    std::string allow;
    for (auto& a : methods) allow += (allow.empty() ? "" : ", ") + a;
    return allow;
}

}  // namespace

admin_api::admin_api(std::vector<std::shared_ptr<plugin::module>> modules, management post)
    : post_(std::move(post)), modules_(std::move(modules)) {
    routes_.add("GET", "/healthz", health);
    routes_.add("GET", "/plugins", list_plugins);
    routes_.add("GET", "/plugins/{name}", show_plugin);
    routes_.add("POST", "/plugins/{name}/reload", reload);
    routes_.add("POST", "/plugins/{name}/rollback", rollback);
}

std::shared_ptr<plugin::module> admin_api::find(const std::string& name) const {
    for (auto& m : modules_)
        if (m->config().name == name) return m;
    return nullptr;
}

void admin_api::handle(http::request request, completion done) {
    std::string why;
    auto target = http::parse_target(request.target, &why);
    if (!target) return done(http::problem(400, why));
    auto m = routes_.find(request.method, target->segments);
    if (m.result == http::route_table::outcome::not_found)
        return done(http::problem(404, "no admin route matches " + request.method + " " + target->path));
    if (m.result == http::route_table::outcome::method_not_allowed) {
        auto r = http::problem(405, request.method + " is not allowed on " + target->path);
        r.set_header("Allow", allow_list(m.allowed));
        return done(std::move(r));
    }

    switch (m.id) {
        case health: {
            std::size_t serving = 0;
            for (auto& mod : modules_) serving += mod->state() == plugin::module_state::serving ? 1 : 0;
            return done(http::json_response(200, {{"status", "ok"}, {"plugins", modules_.size()}, {"serving", serving}}));
        }
        case list_plugins: {
            nlohmann::json list = nlohmann::json::array();
            for (auto& mod : modules_) list.push_back(mod->status());
            return done(http::json_response(200, list));
        }
        default: break;
    }

    const auto& name = m.params.front().second;
    auto mod = find(name);
    if (!mod) return done(http::problem(404, "no plugin named '" + name + "' is configured"));
    if (m.id == show_plugin) return done(http::json_response(200, mod->status()));

    std::optional<std::filesystem::path> library;
    if (m.id == reload && !request.body.empty()) {
        auto body = nlohmann::json::parse(request.body, nullptr, false);
        nlohmann::json errors = nlohmann::json::array();
        if (body.is_discarded()) {
            errors.push_back({{"in", "body"}, {"pointer", ""}, {"message", "malformed JSON"}});
        } else {
            for (auto& v : reload_body_schema().validate(body))
                errors.push_back({{"in", "body"}, {"pointer", v.pointer}, {"message", v.message}});
        }
        if (!errors.empty())
            return done(http::problem(400, "the body must be empty or {\"library\": \"/absolute/path.so\"}",
                                      {{"errors", errors}}));
        if (body.contains("library")) library = body["library"].get<std::string>();
    }

    auto task = [mod, library, rolling_back = m.id == rollback, done]() mutable {
        if (rolling_back) {
            auto r = mod->rollback();
            if (!r) return done(http::problem(409, "there is no previous generation of '" + mod->config().name + "' to roll back to"));
            return done(swap_response(*r, *mod));
        }
        done(swap_response(mod->reload(library, "admin API"), *mod));
    };
    if (!post_(std::move(task))) done(http::problem(503, "the host is stopping"));
}

}  // namespace berth::host::admin
