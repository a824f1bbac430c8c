// GET /metrics: the host's registry (ops/metrics_host.hpp) and the module gauges
// (ops/metrics_modules.hpp) from the modules' snapshots taken at scrape time.
#include "admin/admin_api.hpp"

#include "http/problem.hpp"
#include "ops/metrics.hpp"
#include "ops/metrics_modules.hpp"
#include "plugin/module.hpp"
#include "plugin/module_set.hpp"

namespace berth::host::admin {

http::response admin_api::metrics_page() const {
    if (!settings_.metrics) return http::problem(404, "this host keeps no metrics");
    http::response r;
    r.headers.emplace_back("Content-Type", std::string(ops::exposition_content_type));
    r.body = settings_.metrics->render([this](ops::exposition& out) {
        std::vector<module_snapshot> now;
        for (auto& m : *modules_->snapshot()) now.push_back(m->snapshot());
        ops::collect_modules(out, now);
    });
    return r;
}

}  // namespace berth::host::admin
