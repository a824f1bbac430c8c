// GET /readyz: does every configured module serve; 503 naming those that do not, and why.
#include "admin/admin_api.hpp"

#include "http/problem.hpp"
#include "plugin/module.hpp"
#include "plugin/module_set.hpp"

#include <nlohmann/json.hpp>

namespace berth::host::admin {

http::response admin_api::readiness() const {
    nlohmann::json all = nlohmann::json::object(), not_ready = nlohmann::json::array();
    std::string names;
    for (auto& m : *modules_->snapshot()) {
        auto s = m->snapshot();
        all[s.name] = s.ready;
        if (s.ready) continue;
        const auto* worker = s.active && s.active->worker ? &*s.active->worker : nullptr;
        std::string reason = s.last_error ? s.last_error->step + ": " + s.last_error->message
                             : !s.bound   ? "its port is not bound"
                             : worker && worker->state == "failed"  ? "worker failed: " + worker->last_exit
                             : worker && worker->state != "serving" ? "worker " + worker->state
                                                                    : "no generation has reported ready";
        not_ready.push_back({{"module", s.name}, {"state", to_string(s.state)}, {"reason", std::move(reason)}});
        names += (names.empty() ? "" : ", ") + s.name;
    }
    if (not_ready.empty()) return http::json_response(200, {{"ready", true}, {"modules", std::move(all)}});
    return http::problem(503, "not ready: " + names,
                         {{"ready", false}, {"modules", std::move(all)}, {"not_ready", std::move(not_ready)}});
}

}  // namespace berth::host::admin
