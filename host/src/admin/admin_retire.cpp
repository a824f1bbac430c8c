// POST /modules/{name}/retire?major=N: an older generation stops serving a major (majors side
// by side, docs/contracts.md).
#include "admin/admin_api.hpp"

#include "admin/status_json.hpp"
#include "deploy/deployer.hpp"
#include "http/problem.hpp"
#include "http/target.hpp"
#include "pipeline/route_contract.hpp"
#include "plugin/module.hpp"

#include <nlohmann/json.hpp>

namespace berth::host::admin {

void admin_api::retire_major(const std::shared_ptr<plugin::module>& mod, const http::request& request,
                             const completion& done, const char* module_key) {
    // One ?major=N, N from 1 to 9999 without a leading zero, as in the /vN/ of a path.
    auto target = http::parse_target(request.target);  // valid: serve() routed it
    std::optional<int> major;
    int given = 0;
    for (auto& [key, value] : target ? target->query : std::vector<std::pair<std::string, std::string>>{}) {
        if (key != "major") continue;
        ++given;
        if (value.size() <= 4) major = pipeline::major_of("/v" + value + "/-");
    }
    if (given != 1 || !major)
        return done(http::problem(400, "retire takes one query parameter major, a major version from 1 to 9999 (?major=1)",
                                  {{"errors", {{{"in", "query"}, {"pointer", "/major"},
                                                {"message", given == 0 ? "missing" : "must be one number from 1 to 9999"}}}}}));
    auto task = [&deployer = deployer_, mod, major = *major, done, module_key]() {
        auto r = deployer.retire(*mod, major);
        const nlohmann::json about = {{module_key, mod->config().name}, {"major", major}};
        switch (r.outcome) {
            case plugin::retire_outcome::not_served: return done(http::problem(404, r.detail, about));
            case plugin::retire_outcome::active: return done(http::problem(409, r.detail, about));
            case plugin::retire_outcome::retired: break;
        }
        done(http::json_response(200, {{"result", "retired"},
                                       {"detail", r.detail},
                                       {"major", major},
                                       {"generation", *r.generation},
                                       {"drains", r.drains},
                                       {module_key, to_json(mod->snapshot())}}));
    };
    if (!deployer_.post(std::move(task))) done(http::problem(503, "the host is stopping"));
}

}  // namespace berth::host::admin
