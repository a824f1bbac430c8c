// POST /config/reload[?dry_run=true]: the config file read again, validated whole, and the plan
// of what it changes, applied unless dry_run (runtime_reload.cpp does the work).
#include "admin/admin_api.hpp"

#include "admin/lifecycle.hpp"
#include "http/problem.hpp"
#include "http/target.hpp"

#include <nlohmann/json.hpp>

namespace berth::host::admin {

namespace {

nlohmann::json plan_json(const std::vector<plan_step>& plan) {
    nlohmann::json out = nlohmann::json::array();
    for (auto& s : plan) out.push_back({{"action", s.action}, {"module", s.module}, {"detail", s.detail}});
    return out;
}

}  // namespace

void admin_api::reload_config_call(const http::request& request, const completion& done) {
    if (!settings_.changes) return done(http::problem(404, "this host does not reload its config"));
    auto target = http::parse_target(request.target);  // valid: serve() routed it
    std::optional<std::string> dry;
    bool twice = false;
    if (target)
        for (auto& [k, v] : target->query)
            if (k == "dry_run") {
                twice = twice || dry.has_value();
                dry = v;
            }
    if (twice || (dry && *dry != "true" && *dry != "false"))
        return done(http::problem(400, "dry_run must be given once, as true or false",
                                  {{"errors", nlohmann::json::array({nlohmann::json{
                                                  {"in", "query"}, {"pointer", "/dry_run"}, {"message", "must be true or false, once"}}})}}));
    settings_.changes->reload_config(dry == "true", [done](reload_report r) {
        if (r.busy) return done(http::problem(409, "another config reload is running; try again when it is done"));
        if (!r.errors.empty()) {
            nlohmann::json errors = nlohmann::json::array();
            for (auto& e : r.errors) errors.push_back({{"in", "config"}, {"pointer", e.pointer}, {"message", e.message}});
            return done(http::problem(400, r.failure.empty() ? "the config file is not valid; nothing was changed" : r.failure,
                                      {{"errors", std::move(errors)}, {"plan", nlohmann::json::array()}}));
        }
        if (r.failed_step) {
            const auto& step = r.plan.at(*r.failed_step);
            // failed_step counts from 1, as the detail's "step N" and the plan's order do.
            return done(http::problem(409, r.failure,
                                      {{"failed_step", *r.failed_step + 1},
                                       {"step", {{"action", step.action}, {"module", step.module}, {"detail", step.detail}}},
                                       {"rolled_back", r.rolled_back},
                                       {"undo_failures", r.undo_failures},
                                       {"plan", plan_json(r.plan)}}));
        }
        if (!r.failure.empty()) return done(http::problem(503, r.failure));
        std::string detail = r.plan.empty() ? "the config file changes nothing"
                             : r.applied    ? "applied " + std::to_string(r.plan.size()) + " step(s)"
                                            : "dry run: " + std::to_string(r.plan.size()) + " step(s) planned, none applied";
        done(http::json_response(200, {{"plan", plan_json(r.plan)}, {"applied", r.applied}, {"detail", detail}}));
    });
}

}  // namespace berth::host::admin
