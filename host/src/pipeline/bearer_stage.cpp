#include "auth/revocations.hpp"
#include "auth/token_service.hpp"
#include "http/problem.hpp"
#include "pipeline/route_contract.hpp"
#include "pipeline/stages.hpp"

#include <boost/beast/core/string.hpp>
#include <spdlog/spdlog.h>

#include <algorithm>

namespace berth::host::pipeline {

namespace {

// "a b  c" -> {"a", "b", "c"}: the scopes a token holds.
std::vector<std::string> split_scopes(std::string_view s) {
    std::vector<std::string> out;
    while (!s.empty()) {
        auto sp = s.find(' ');
        if (sp != 0) out.emplace_back(s.substr(0, sp));
        if (sp == std::string_view::npos) break;
        s.remove_prefix(sp + 1);
    }
    return out;
}

http::response unauthorized(std::string detail, std::string challenge) {
    auto r = http::problem(401, std::move(detail));
    r.set_header("WWW-Authenticate", std::move(challenge));
    return r;
}

}  // namespace

verdict check_bearer(exchange& ex, const auth::token_service* tokens) {
    const route_contract& c = *ex.route;
    if (!c.auth) return std::nullopt;
    auto header = ex.request.header("Authorization");
    if (header.empty() && tokens) tokens->count_refusal(auth::token_refusal::missing);
    if (header.empty()) return unauthorized("this route needs a bearer token", "Bearer realm=\"berth\"");
    if (header.size() < 7 || !boost::beast::iequals(header.substr(0, 7), "Bearer ")) {
        if (tokens) tokens->count_refusal(auth::token_refusal::malformed);
        return unauthorized("the Authorization header must be 'Bearer <token>'",
                            "Bearer realm=\"berth\", error=\"invalid_request\"");
    }
    if (!tokens) return unauthorized("this host accepts no tokens", "Bearer realm=\"berth\", error=\"invalid_token\"");
    auto verdict = tokens->verify(header.substr(7));
    if (auto* no = std::get_if<auth::token_service::rejected>(&verdict)) {
        // The client learns only that it is invalid. The log says why, at debug: anyone can
        // send bad tokens, and the log must not be theirs to fill.
        spdlog::debug("[{}] request {}: bearer token refused: {}", ex.module, ex.context.request_id, no->reason);
        tokens->count_refusal(no->expired ? auth::token_refusal::expired : auth::token_refusal::invalid);
        return unauthorized("the bearer token is not valid", "Bearer realm=\"berth\", error=\"invalid_token\"");
    }
    auto& ok = std::get<auth::token_service::verified>(verdict);
    // A session that ended (log-out, password change): refused as a bad token is, in memory.
    if (const auto* revoked = tokens->revoked(); revoked && revoked->refused(ok.subject, ok.jti, ok.iat_ms)) {
        spdlog::debug("[{}] request {}: bearer token refused: its session has ended", ex.module, ex.context.request_id);
        tokens->count_refusal(auth::token_refusal::revoked);
        return unauthorized("the bearer token is not valid", "Bearer realm=\"berth\", error=\"invalid_token\"");
    }
    auto held = split_scopes(ok.scope);
    std::vector<std::string> lacking;
    for (auto& need : c.scopes)
        if (std::ranges::find(held, need) == held.end()) lacking.push_back(need);
    if (!lacking.empty()) {
        tokens->count_refusal(auth::token_refusal::insufficient_scope);
        const auto missing = http::join(lacking, " ");
        auto r = http::problem(403, "the token lacks the scope(s): " + missing);
        r.set_header("WWW-Authenticate",
                     "Bearer realm=\"berth\", error=\"insufficient_scope\", scope=\"" + missing + "\"");
        return r;
    }
    ex.subject = std::move(ok.subject);
    ex.scope = std::move(ok.scope);
    return std::nullopt;
}

}  // namespace berth::host::pipeline
