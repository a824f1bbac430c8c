// OpenAPI 3.1 documents made from what a generation declared: one per module (served on its
// port at /openapi.json) and the merged one of every module (the admin listener's). They
// describe the public API only: routes limited to in-process callers are left out, and
// nothing about files, libraries or builds appears. See docs/contracts.md (Published documents).
#pragma once

#include <nlohmann/json.hpp>

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace berth::host::pipeline {
struct route_set;
}

namespace berth::host::contract {

// Who serves the document: the module's name, and the plugin's declared name and version.
struct document_source {
    std::string module, plugin, version;
};

// A document built once per generation: the JSON (to merge) and its text (to serve).
struct published_document {
    nlohmann::json json;
    std::string text;
};

// The module's document; its server is "/" (the port it is fetched from). `routes` must be
// compiled (pipeline::compile_routes), so its manifest is known to be well formed.
nlohmann::json module_document(const pipeline::route_set& routes, const document_source& source);

// module_document(), built and dumped once.
std::shared_ptr<const published_document> publish(const pipeline::route_set& routes, const document_source& source);

// An older generation that still serves some majors (majors side by side).
struct serving_part {
    const nlohmann::json* document;  // its module_document()
    std::vector<int> majors;         // the majors it serves, ascending
};

// The document of a module whose majors several generations serve: the active generation's
// document plus, from each older one, the paths of the majors it serves. A component an older
// build declares differently from the active one is published as "<Name>.v<major>".
std::shared_ptr<const published_document> side_by_side(const nlohmann::json& active,
                                                       const std::vector<serving_part>& older);

// One module's part of the merged document.
struct merged_part {
    std::string module;
    std::string server_url;         // where its port answers, absolute (see server_url())
    const nlohmann::json* document; // its module_document(); null when it serves nothing now
};

// Every module's paths under per-path servers, tags named after modules, operation ids and
// component names prefixed "<module>." so that modules never clash.
nlohmann::json merged_document(const std::vector<merged_part>& parts, std::string_view version);

// A document's text, its top-level members in the order OpenAPI lists them (openapi, info,
// servers, tags, paths, components): nlohmann::json alone would sort them.
std::string document_text(const nlohmann::json& document);

// "http://<address>:<port>" for a module's listener. A wildcard bind address (0.0.0.0, ::)
// names no host, so `request_host` (a Host name the caller has already validated) stands in.
std::string server_url(std::string_view address, std::uint16_t port, std::string_view request_host);

}  // namespace berth::host::contract
