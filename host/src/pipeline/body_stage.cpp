#include "contract/json_body.hpp"
#include "contract/json_schema.hpp"
#include "http/media.hpp"
#include "http/problem.hpp"
#include "pipeline/route_contract.hpp"
#include "pipeline/stages.hpp"

#include <berth/json_limits.hpp>

namespace berth::host::pipeline {

namespace {

void add(exchange& ex, std::string pointer, std::string message) {
    ex.violations.push_back({{"in", "body"}, {"pointer", std::move(pointer)}, {"message", std::move(message)}});
}

// A body the plugin reads itself (route::takes): its media type, and for JSON its depth, since
// whatever walks it (the SDK, the handler) recurses once per level.
verdict check_raw_body(exchange& ex, std::string_view content_type) {
    const auto& c = *ex.route;
    if (!content_type.empty() && !http::iequals(http::media_type_of(content_type), c.takes))
        return http::problem(415, "this operation takes " + c.takes + ", not " + std::string(content_type));
    if (http::is_json_media_type(c.takes) && berth::json_depth(ex.request.body) > berth::max_json_depth)
        add(ex, "", "nested more than " + std::to_string(berth::max_json_depth) + " levels deep");
    return std::nullopt;
}

}  // namespace

verdict check_body(exchange& ex) {
    const auto& req = ex.request;
    const route_contract& c = *ex.route;
    auto content_type = req.header("Content-Type");
    if (!c.body && !c.takes.empty()) return check_raw_body(ex, content_type);
    if (!c.body) {
        // A body the operation does not declare would be ignored: a client that meant something
        // by it (a partial refund's amount, say) must learn that it was not taken.
        if (req.body.empty()) return std::nullopt;
        return http::problem(400, "this operation takes no body: " + c.method + " " + c.path +
                                      " declares no request body; send none");
    }
    if (c.body_optional && req.body.empty()) return std::nullopt;  // route::optional_body: the handler decides
    const bool msgpack = http::is_msgpack_media_type(content_type);
    if (!content_type.empty() && !msgpack && !http::is_json_media_type(content_type))
        return http::problem(415, "this operation takes application/json or " + std::string(http::msgpack_media_type) +
                                      ", not " + std::string(content_type));
    auto parsed = msgpack ? contract::parse_msgpack_body(req.body) : contract::parse_json_body(req.body);
    if (auto* bad = std::get_if<contract::body_error>(&parsed)) {
        add(ex, bad->pointer, bad->message);
        return std::nullopt;
    }
    const auto& document = std::get<nlohmann::json>(parsed);
    if (msgpack) {
        // The handler reads the same document as JSON text; MessagePack strings are not checked
        // for UTF-8 by the reader, so writing them out is where one that is not would show.
        try {
            ex.converted_body = document.dump();
        } catch (const nlohmann::json::exception&) {
            add(ex, "", "a string is not valid UTF-8");
            return std::nullopt;
        }
    }
    for (auto& v : c.body->validate(document)) add(ex, v.pointer, v.message);
    return std::nullopt;
}

}  // namespace berth::host::pipeline
