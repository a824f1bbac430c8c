// GET /events: the host's last events (ops/telemetry.hpp keeps 1024), paged by sequence
// number; and the admin_call event every authenticated mutating call leaves (never its body,
// query or token).
#include "admin/admin_api.hpp"

#include "http/problem.hpp"
#include "http/target.hpp"
#include "ops/logging.hpp"
#include "ops/telemetry.hpp"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <charconv>

namespace berth::host::admin {

namespace {

constexpr std::uint64_t default_limit = 100, max_limit = 1000;

// A decimal in [lo, hi], nothing else (no sign, no spaces, no leading '+').
std::optional<std::uint64_t> number_in(const std::string& text, std::uint64_t lo, std::uint64_t hi) {
    std::uint64_t v = 0;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
    if (text.empty() || ec != std::errc() || end != text.data() + text.size() || v < lo || v > hi) return std::nullopt;
    return v;
}

}  // namespace

http::response admin_api::events_page(const http::request& request) const {
    if (!settings_.telemetry) return http::problem(404, "this host keeps no events");
    auto target = http::parse_target(request.target);  // parsed once already: it is valid
    std::uint64_t after = 0, limit = default_limit;
    nlohmann::json errors = nlohmann::json::array();
    bool seen_after = false, seen_limit = false;
    for (auto& [k, v] : target ? target->query : decltype(target->query){}) {
        if (k == "after") {
            auto n = number_in(v, 0, UINT64_MAX);
            if (!n || seen_after) errors.push_back({{"in", "query"}, {"pointer", "/after"}, {"message", "must be a sequence number (0 or more), once"}});
            else after = *n;
            seen_after = true;
        } else if (k == "limit") {
            auto n = number_in(v, 1, max_limit);
            if (!n || seen_limit) errors.push_back({{"in", "query"}, {"pointer", "/limit"}, {"message", "must be 1 to 1000, once"}});
            else limit = *n;
            seen_limit = true;
        } else {
            errors.push_back({{"in", "query"}, {"pointer", "/" + k.substr(0, 64)}, {"message", "unknown parameter (after, limit)"}});
        }
        if (errors.size() >= 8) break;
    }
    if (!errors.empty()) return http::problem(400, "the query takes after=SEQ and limit=1..1000", {{"errors", std::move(errors)}});
    nlohmann::json list = nlohmann::json::array();
    // Read before the page: an event emitted in between is newer than `last`, never lost.
    const auto last = settings_.telemetry->last_seq();
    // Nothing newer: `next` is not past the host's newest, so that a client whose `after` is
    // from before a restart sees next < after (and `last` < after) and starts again from 0.
    std::uint64_t next = std::min(after, last);
    for (auto& e : settings_.telemetry->events_since(after, limit)) {
        list.push_back({{"seq", e.seq}, {"time", ops::utc_text(e.time)}, {"kind", e.kind}, {"module", e.module}, {"fields", e.fields}});
        next = e.seq;
    }
    return http::json_response(200, {{"events", std::move(list)}, {"next", next}, {"last", std::max(last, next)}});
}

admin_api::completion admin_api::announced(const http::request& request, completion done) const {
    if (!settings_.telemetry) return done;
    const auto path = std::string_view(request.target).substr(0, request.target.find('?')).substr(0, 256);
    return [telemetry = settings_.telemetry, method = request.method.substr(0, 16), path = std::string(path),
            id = request.id, inner = std::move(done)](http::response r) {
        telemetry->emit("admin_call", "", {{"method", method}, {"path", path}, {"status", r.status}, {"request_id", id}});
        inner(std::move(r));
    };
}

}  // namespace berth::host::admin
