#include "admin/admin_api.hpp"

#include "http/problem.hpp"
#include "http/target.hpp"
#include "plugin/module.hpp"

#include <nlohmann/json.hpp>

namespace berth::host::admin {

admin_api::admin_api(std::vector<std::shared_ptr<plugin::module>> modules) : modules_(std::move(modules)) {
    routes_.add("GET", "/healthz", health);
    routes_.add("GET", "/plugins", list_plugins);
    routes_.add("GET", "/plugins/{name}", show_plugin);
}

void admin_api::handle(http::request request, completion done) {
    http::response r;
    try {
        r = serve(request);
    } catch (const std::exception& e) {
        r = http::problem(500, e.what());
    }
    done(std::move(r));
}

http::response admin_api::serve(const http::request& request) {
    std::string why;
    auto target = http::parse_target(request.target, &why);
    if (!target) return http::problem(400, why);
    auto m = routes_.find(request.method, target->segments);
    if (m.result == http::route_table::outcome::not_found)
        return http::problem(404, "no admin route matches " + request.method + " " + target->path);
    if (m.result == http::route_table::outcome::method_not_allowed) {
        std::string allow;
        for (auto& a : m.allowed) allow += (allow.empty() ? "" : ", ") + a;
        auto r = http::problem(405, request.method + " is not allowed on " + target->path);
        r.set_header("Allow", allow);
        return r;
    }
    switch (m.id) {
        case health: {
            std::size_t serving = 0;
            for (auto& mod : modules_) serving += mod->state() == plugin::module_state::serving ? 1 : 0;
            return http::json_response(200, {{"status", "ok"}, {"plugins", modules_.size()}, {"serving", serving}});
        }
        case list_plugins: {
            nlohmann::json list = nlohmann::json::array();
            for (auto& mod : modules_) list.push_back(mod->status());
            return http::json_response(200, list);
        }
        case show_plugin: {
            const auto& name = m.params.front().second;
            for (auto& mod : modules_)
                if (mod->config().name == name) return http::json_response(200, mod->status());
            return http::problem(404, "no plugin named '" + name + "' is configured");
        }
    }
    return http::problem(500, "unhandled admin route");
}

}  // namespace berth::host::admin
