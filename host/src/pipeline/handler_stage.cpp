#include "http/problem.hpp"
#include "isolate/isolated_plugin.hpp"
#include "pipeline/stages.hpp"

#include <spdlog/spdlog.h>

#include <vector>

namespace berth::host::pipeline {

using abi::bytes;

namespace {

std::vector<berth_pair> pairs(const std::vector<std::pair<std::string, std::string>>& from) {
    std::vector<berth_pair> out;
    out.reserve(from.size());
    for (auto& [k, v] : from) out.push_back({bytes(k), bytes(v)});
    return out;
}

constexpr std::string_view json_media_type = "application/json";

// The headers a handler sees for a MessagePack body it is given as JSON text: the body's
// media type is JSON's, and its length is no longer the one sent.
std::vector<berth_pair> converted_headers(const http::header_list& from) {
    std::vector<berth_pair> out;
    out.reserve(from.size());
    for (auto& [k, v] : from) {
        if (http::iequals(k, "Content-Length")) continue;
        out.push_back({bytes(k), http::iequals(k, "Content-Type") ? bytes(json_media_type) : bytes(v)});
    }
    return out;
}

}  // namespace

http::response call_handler(exchange& ex, const abi::plugin_instance& plugin) {
    const auto& req = ex.request;
    const auto params = pairs(ex.match.params);
    const auto query = pairs(ex.target.query);
    const auto headers = ex.converted_body ? converted_headers(req.headers) : pairs(req.headers);
    const std::string_view body = ex.converted_body ? std::string_view(*ex.converted_body) : std::string_view(req.body);
    const berth_request raw{sizeof(berth_request),
                            static_cast<std::uint32_t>(ex.match.id),
                            bytes(req.method),
                            bytes(req.target),
                            bytes(ex.target.path),
                            params.data(),
                            params.size(),
                            query.data(),
                            query.size(),
                            headers.data(),
                            headers.size(),
                            bytes(body),
                            bytes(ex.context.request_id),
                            bytes(ex.subject),
                            bytes(ex.scope),
                            bytes(ex.context.caller)};

    abi::response_sink out;
    abi::text_sink error;
    int rc = plugin.descriptor->handle(plugin.instance, &raw, &out.writer, &error.writer);
    // Host codes only from the stand-in: a plugin returning them fails like any other (its text stays in the log).
    if ((rc == isolate::worker_lost || rc == isolate::worker_unavailable) && !isolate::is_stand_in(*plugin.descriptor))
        rc = BERTH_ERROR;
    if (rc == isolate::worker_lost) {  // isolation "process": the worker ended under the request
        spdlog::error("[{}] {} {} (request {}): the module's worker stopped while handling it", ex.module, req.method,
                      ex.target.path, ex.context.request_id);
        return http::problem(502, "the module's worker stopped while handling request " + ex.context.request_id);
    }
    if (rc == isolate::worker_unavailable) {  // restarting or failed: host-made text, never the worker's
        auto r = http::problem(503, error.text);
        r.set_header("Retry-After", "1");
        return r;
    }
    if (rc != BERTH_OK) {
        spdlog::error("[{}] {} {} failed (request {}): {}", ex.module, req.method, ex.target.path,
                      ex.context.request_id, error.text.empty() ? "no message" : error.text);
        return http::problem(500, "the module failed while handling the request; see the host log for request " +
                                      ex.context.request_id);
    }
    if (!out.bad_header.empty()) {
        spdlog::error("[{}] {} {} (request {}): the handler set a header that cannot be sent (name '{}')", ex.module,
                      req.method, ex.target.path, ex.context.request_id, out.bad_header);
        return http::problem(500, "the module answered with a header that cannot be sent");
    }
    if (out.response.status < 200 || out.response.status > 599) {
        spdlog::error("[{}] answered with status {}, which a handler may not send", ex.module, out.response.status);
        return http::problem(500, "the module answered with an invalid status");
    }
    if (out.response.status == 204 || out.response.status == 304) out.response.body.clear();  // they have no body
    ex.from_handler = true;
    return std::move(out.response);
}

}  // namespace berth::host::pipeline
