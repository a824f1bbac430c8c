#include "abi/abi_bridge.hpp"

#include "auth/token_service.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <cstdint>

namespace berth::host::abi {

void write_text(const berth_writer* w, std::string_view text) {
    if (w && w->write) w->write(w->ctx, {text.data(), text.size()});
}

void text_sink::append(void* ctx, berth_bytes b) {
    if (b.data && b.size) static_cast<text_sink*>(ctx)->text.append(b.data, b.size);
}

void response_sink::set_status(void* ctx, int status) { static_cast<response_sink*>(ctx)->response.status = status; }

namespace {

bool is_token(std::string_view s) {
    if (s.empty()) return false;
    for (unsigned char c : s)
        if (!(std::isalnum(c) || std::string_view("!#$%&'*+-.^_`|~").find(static_cast<char>(c)) != std::string_view::npos))
            return false;
    return true;
}

}  // namespace

void response_sink::add_header(void* ctx, berth_bytes name, berth_bytes value) {
    if (!name.data || !value.data) return;
    auto* sink = static_cast<response_sink*>(ctx);
    std::string_view n(name.data, name.size), v(value.data, value.size);
    if (!is_token(n) || v.find_first_of(std::string_view("\r\n\0", 3)) != std::string_view::npos) {
        if (sink->bad_header.empty()) sink->bad_header = std::string(n.substr(0, 64));
        return;
    }
    sink->response.headers.emplace_back(n, v);
}

void response_sink::append_body(void* ctx, berth_bytes chunk) {
    if (chunk.data && chunk.size) static_cast<response_sink*>(ctx)->response.body.append(chunk.data, chunk.size);
}

namespace {

// The berth_host_api entry points; ctx is the generation's host_context. Any thread; nothing
// throws past them.
void log(void* ctx, int level, berth_bytes message) {
    std::string_view text(message.data ? message.data : "", message.data ? message.size : 0);
    auto lvl = level <= BERTH_LOG_DEBUG  ? spdlog::level::debug
               : level == BERTH_LOG_INFO ? spdlog::level::info
               : level == BERTH_LOG_WARN ? spdlog::level::warn
                                         : spdlog::level::err;
    spdlog::log(lvl, "[{}] {}", static_cast<const host_context*>(ctx)->module, text);
}

int issue_token(void* ctx, berth_bytes subject, berth_bytes scope, const berth_writer* token,
                int64_t* expires_at, const berth_writer* error) {
    auto* g = static_cast<const host_context*>(ctx);
    try {
        if (!g->services || !g->services->tokens) {
            write_text(error, "this host has no token signing key");
            return BERTH_ERROR;
        }
        auto t = g->services->tokens->issue(view(subject), view(scope));
        write_text(token, t.token);
        if (expires_at) *expires_at = t.expires_at;
        return BERTH_OK;
    } catch (const std::exception& e) {
        write_text(error, e.what());
        return BERTH_ERROR;
    }
}

int call(void* ctx, const berth_call* c, const berth_response_writer* response,
         const berth_writer* error) {
    auto* g = static_cast<const host_context*>(ctx);
    try {
        if (!c || c->struct_size < sizeof(berth_call) || !response) {
            write_text(error, "malformed call");
            return BERTH_ERROR;
        }
        if (!g->services || !g->services->call) {
            write_text(error, "this host cannot dispatch calls between modules");
            return BERTH_ERROR;
        }
        http::request req;
        req.method = std::string(view(c->method));
        req.target = std::string(view(c->target));
        req.body = std::string(view(c->body));
        if (!req.body.empty()) req.headers.emplace_back("Content-Type", "application/json");
        if (c->authorization.size) req.headers.emplace_back("Authorization", std::string(view(c->authorization)));
        request_context rc{std::string(view(c->request_id)), g->module};
        if (!rc.request_id.empty()) req.headers.emplace_back("X-Request-Id", rc.request_id);
        auto r = g->services->call(std::string(view(c->module)), req, rc);
        response->set_status(response->ctx, r.status);
        for (auto& [k, v] : r.headers) response->add_header(response->ctx, {k.data(), k.size()}, {v.data(), v.size()});
        if (!r.body.empty()) response->append_body(response->ctx, {r.body.data(), r.body.size()});
        return BERTH_OK;
    } catch (const std::exception& e) {
        write_text(error, e.what());
        return BERTH_ERROR;
    }
}

void report_lease_wait(void* ctx, uint64_t waited_ns, int granted) {
    auto* g = static_cast<const host_context*>(ctx);
    if (!g->services || !g->services->lease_wait) return;
    // Clamped: a plugin's figure must not wrap into a negative duration.
    constexpr auto most = static_cast<uint64_t>(std::chrono::nanoseconds::max().count());
    try {
        g->services->lease_wait(g->module, std::chrono::nanoseconds(static_cast<std::int64_t>(std::min(waited_ns, most))),
                                granted != 0);
    } catch (...) {
    }
}

// ABI 1.3: sessions that end. The token service checks the token and keeps the revocation;
// `end` is one of its two calls, run with the host's answer written back as the ABI wants it.
template <class End>
int ending(void* ctx, const berth_writer* error, End end) {
    auto* g = static_cast<const host_context*>(ctx);
    try {
        if (!g->services || !g->services->tokens) {
            write_text(error, "this host has no token signing key");
            return BERTH_ERROR;
        }
        end(*g->services->tokens);
        return BERTH_OK;
    } catch (const std::exception& e) {
        write_text(error, e.what());
        return BERTH_ERROR;
    }
}

int end_session(void* ctx, berth_bytes token, const berth_writer* error) {
    return ending(ctx, error, [&](auto& tokens) { tokens.end_session(view(token)); });
}

int end_sessions(void* ctx, berth_bytes subject, const berth_writer* error) {
    return ending(ctx, error, [&](auto& tokens) { tokens.end_sessions(view(subject)); });
}

}  // namespace

berth_host_api host_api(const host_context* ctx) {
    return berth_host_api{sizeof(berth_host_api), const_cast<host_context*>(ctx), &log, &issue_token, &call,
                          &report_lease_wait, &end_session, &end_sessions};
}

}  // namespace berth::host::abi
