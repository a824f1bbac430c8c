// The worker's requests back to the host: token, call, end_session and end_sessions go to the generation's own
// berth_host_api (the `host` given to create), so their checks are exactly the in-process ones;
// log and lease are notices without a reply.
#include "isolate/isolated_plugin_impl.hpp"

#include "abi/abi_bridge.hpp"
#include "isolate/protocol.hpp"

#include <spdlog/spdlog.h>

namespace berth::host::isolate {

using nlohmann::json;

namespace {

json refuse(std::string text) { return json{{"ok", false}, {"error", std::move(text)}}; }

}  // namespace

json isolated_plugin::impl::serve(const json& request) {
    const std::string t = text_field(request, "t");
    std::shared_lock lock(host_mutex);
    if (!host) return refuse("the module is stopped");
    if (t == msg::token) {
        const auto subject = text_field(request, "subject"), scope = text_field(request, "scope");
        abi::text_sink token, error;
        std::int64_t expires_at = 0;
        if (!host->issue_token || host->issue_token(host->ctx, abi::bytes(subject), abi::bytes(scope), &token.writer,
                                                    &expires_at, &error.writer) != BERTH_OK)
            return refuse(error.text.empty() ? "no token was issued" : error.text);
        return json{{"ok", true}, {"token", token.text}, {"expires_at", expires_at}};
    }
    if (t == msg::call) {
        const auto module = text_field(request, "module"), method = text_field(request, "method"),
                   target = text_field(request, "target"), body = bytes_field(request, "body"),
                   request_id = text_field(request, "request_id"),
                   authorization = text_field(request, "authorization");
        const berth_call c{sizeof(berth_call),      abi::bytes(module),     abi::bytes(method),
                           abi::bytes(target),      abi::bytes(body),       abi::bytes(request_id),
                           abi::bytes(authorization)};
        abi::response_sink response;
        abi::text_sink error;
        if (!host->call || host->call(host->ctx, &c, &response.writer, &error.writer) != BERTH_OK)
            return refuse(error.text.empty() ? "the call was not made" : error.text);
        json headers = json::array();
        for (auto& [n, v] : response.response.headers) headers.push_back(json::array({n, v}));
        const auto& b = response.response.body;
        return json{{"ok", true},
                    {"status", response.response.status},
                    {"headers", std::move(headers)},
                    {"body", binary(b)}};
    }
    if (t == msg::end_session || t == msg::end_sessions) {  // ABI 1.3
        const bool one = t == msg::end_session;
        const auto what = text_field(request, one ? "token" : "subject");
        auto* fn = one ? host->end_session : host->end_sessions;
        abi::text_sink error;
        if (host->struct_size < sizeof(berth_host_api) || !fn || fn(host->ctx, abi::bytes(what), &error.writer) != BERTH_OK)
            return refuse(error.text.empty() ? "no session was ended" : error.text);
        return json{{"ok", true}};
    }
    return refuse("unknown request");
}

void isolated_plugin::impl::notice(const json& m) {
    const std::string t = text_field(m, "t");
    std::shared_lock lock(host_mutex);
    if (!host) return;
    if (t == msg::log) {
        if (!host->log) return;
        bool take = false;
        std::optional<std::uint64_t> dropped;
        {
            const auto now = log_budget::clock::now();
            std::lock_guard guard(log_mutex);
            take = logs.take(now);
            dropped = logs.report(now);
        }
        if (dropped)
            spdlog::warn("[{}] the module's worker logs more than {} lines per second: {} lines dropped", options.module,
                         logs.rate(), *dropped);
        if (!take) return;
        const auto text = cut_log_line(text_field(m, "message"));
        host->log(host->ctx, static_cast<int>(int_field(m, "level", BERTH_LOG_INFO)), abi::bytes(text));
    } else if (t == msg::lease) {
        if (host->struct_size < sizeof(berth_host_api) || !host->report_lease_wait) return;
        const auto waited = int_field(m, "waited_ns", 0);
        auto g = m.find("granted");
        const bool granted = g != m.end() && ((g->is_boolean() && g->get<bool>()) || (g->is_number_integer() && g->get<std::int64_t>() != 0));
        host->report_lease_wait(host->ctx, static_cast<std::uint64_t>(std::max<std::int64_t>(0, waited)), granted ? 1 : 0);
    }
}

}  // namespace berth::host::isolate
