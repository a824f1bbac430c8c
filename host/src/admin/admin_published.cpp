// The admin listener's public documents, open without its token (after the Host check):
// the merged OpenAPI document and its Swagger UI page.
#include "admin/admin_api.hpp"

#include "contract/openapi.hpp"
#include "pipeline/docs_ui.hpp"
#include "pipeline/host_routes.hpp"
#include "plugin/module.hpp"
#include "plugin/module_set.hpp"

#include <berth/host/runtime.hpp>

namespace berth::host::admin {

http::response admin_api::merged_openapi(const http::request& request) const {
    // The Host name passed gate(): loopback or admin.allowed_hosts, never anything else.
    const auto host = http::host_name(request.header("Host"));
    std::vector<std::shared_ptr<const contract::published_document>> held;  // alive while merging
    std::vector<contract::merged_part> parts;
    for (auto& mod : *modules_->snapshot()) {
        auto doc = mod->document();
        if (!doc) continue;
        held.push_back(doc);
        parts.push_back({mod->config().name, contract::server_url(mod->config().address, mod->port(), host), &doc->json});
    }
    // Open without the token: merged once per set of documents and Host name, not per request.
    std::lock_guard lock(merged_mutex_);
    if (merged_.text.empty() || merged_.host != host || merged_.sources != held) {
        merged_.text = contract::document_text(contract::merged_document(parts, runtime::version()));
        merged_.host = host;
        merged_.sources = std::move(held);
    }
    return pipeline::openapi_response(merged_.text);
}

// GET /docs: the merged document's page, with a link to each module's own page.
http::response admin_api::docs_page(const http::request& request) const {
    std::vector<pipeline::docs_link> links;
    for (auto& m : *modules_->snapshot()) {
        auto s = m->snapshot();
        links.push_back({s.name, s.bound ? pipeline::module_docs_url(s.address, s.port, request.header("Host")) : ""});
    }
    return pipeline::serve_admin_docs(settings_.docs.get(), request, links);
}

}  // namespace berth::host::admin
