// POST /modules (a module added while the host runs), DELETE /modules/{name} (one removed).
// The work runs on the deploy thread
// (admin/lifecycle.hpp); this file turns its outcome into answers.
#include "admin/admin_api.hpp"

#include "admin/lifecycle.hpp"
#include "admin/status_json.hpp"
#include "contract/json_body.hpp"
#include "http/problem.hpp"
#include "plugin/module.hpp"
#include "plugin/module_set.hpp"

#include <nlohmann/json.hpp>

namespace berth::host::admin {

namespace {

nlohmann::json error_list(const std::vector<config_error>& errors, const char* in) {
    nlohmann::json out = nlohmann::json::array();
    for (auto& e : errors) out.push_back({{"in", in}, {"pointer", e.pointer}, {"message", e.message}});
    return out;
}

}  // namespace

void admin_api::add_module_call(const http::request& request, const completion& done, const char* module_key) {
    if (!settings_.changes) return done(http::problem(404, "this host does not add modules while it runs"));
    auto parsed = contract::parse_json_body(request.body);
    if (auto* bad = std::get_if<contract::body_error>(&parsed))
        return done(http::problem(400, "the body must be a module entry with its name",
                                  {{"errors", error_list({{bad->pointer, bad->message}}, "body")}}));
    auto& body = std::get<nlohmann::json>(parsed);
    if (!body.is_object())
        return done(http::problem(400, "the body must be a module entry with its name",
                                  {{"errors", error_list({{"", "must be an object"}}, "body")}}));
    settings_.changes->add_module(std::move(body), [done, module_key](add_result r) {
        switch (r.status) {
            case 201: {
                const auto name = r.module->config().name;
                auto answer = http::json_response(201, {{module_key, to_json(r.module->snapshot())},
                                                        {"detail", "module '" + name + "' added and serving"}});
                answer.set_header("Location", "/modules/" + name);
                return done(std::move(answer));
            }
            case 400:
                return done(http::problem(400, r.detail, {{"errors", error_list(r.errors, "body")}}));
            case 422: return done(http::problem(422, r.detail, {{"step", r.step}}));
            default: return done(http::problem(r.status, r.detail));
        }
    });
}

void admin_api::remove_module_call(const std::string& name, const completion& done, const char* module_key) {
    if (!settings_.changes) return done(http::problem(404, "this host does not remove modules while it runs"));
    settings_.changes->remove_module(name, [done, module_key, name](remove_result r) {
        if (r.status != 200) return done(http::problem(r.status, r.detail));
        done(http::json_response(200, {{module_key, name}, {"unloaded", r.unloaded}, {"detail", r.detail}}));
    });
}

}  // namespace berth::host::admin
