#include "host_api.hpp"

#include "abi/abi_bridge.hpp"
#include "isolate/fields.hpp"
#include "isolate/protocol.hpp"

#include <algorithm>
#include <exception>
#include <string>
#include <string_view>

namespace berth::worker {

namespace msg = host::isolate::msg;
using host::abi::view;
using host::abi::write_text;
using host::isolate::int_field;
using host::isolate::ok_reply;
using host::isolate::text_field;

namespace {

thread_local std::int64_t serving_id = 0;  // a plain integer: no destructor pins anything

// A log line longer than this is cut: the host log is for lines, not payloads.
constexpr std::size_t max_log_bytes = 64 * 1024;
// A host answer with a field of the wrong type is malformed: the plugin is told so.
constexpr auto strict = host::isolate::on_bad::strict;

channel& chan(void* ctx) { return *static_cast<channel*>(ctx); }

void log(void* ctx, int level, berth_bytes message) {
    try {
        auto text = view(message).substr(0, max_log_bytes);
        chan(ctx).send({{"t", msg::log}, {"level", std::clamp(level, 0, 3)}, {"message", text}});
    } catch (...) {
    }
}

int issue_token(void* ctx, berth_bytes subject, berth_bytes scope, const berth_writer* token, int64_t* expires_at,
                const berth_writer* error) {
    try {
        auto answer = chan(ctx).request({{"t", msg::token},
                                         {"for", serving_request::current()},
                                         {"subject", view(subject)},
                                         {"scope", view(scope)}});
        if (!ok_reply(answer)) {
            write_text(error, text_field(answer, "error", strict));
            return BERTH_ERROR;
        }
        write_text(token, text_field(answer, "token", strict));
        if (expires_at) *expires_at = int_field(answer, "expires_at", 0, strict);
        return BERTH_OK;
    } catch (const std::exception& e) {
        write_text(error, std::string("the host's answer to a token request was malformed: ") + e.what());
        return BERTH_ERROR;
    }
}

int call(void* ctx, const berth_call* c, const berth_response_writer* response, const berth_writer* error) {
    try {
        if (!c || c->struct_size < sizeof(berth_call) || !response) {
            write_text(error, "malformed call");
            return BERTH_ERROR;
        }
        if (!channel::carries(c->body.size)) {
            write_text(error, "the call's body is larger than the worker's channel carries");
            return BERTH_ERROR;
        }
        auto answer = chan(ctx).request({{"t", msg::call},
                                         {"for", serving_request::current()},
                                         {"module", view(c->module)},
                                         {"method", view(c->method)},
                                         {"target", view(c->target)},
                                         {"body", host::isolate::binary(view(c->body))},
                                         {"request_id", view(c->request_id)},
                                         {"authorization", view(c->authorization)}});
        if (!ok_reply(answer)) {
            write_text(error, text_field(answer, "error", strict));
            return BERTH_ERROR;
        }
        const auto status = int_field(answer, "status", 0, strict);
        const auto headers = host::isolate::pairs_field(answer, "headers", strict);
        const auto body = host::isolate::bytes_field(answer, "body", strict);
        response->set_status(response->ctx, static_cast<int>(status));
        for (const auto& [name, value] : headers)
            response->add_header(response->ctx, {name.data(), name.size()}, {value.data(), value.size()});
        if (!body.empty()) response->append_body(response->ctx, {body.data(), body.size()});
        return BERTH_OK;
    } catch (const std::exception& e) {
        write_text(error, std::string("the host's answer to a call was malformed: ") + e.what());
        return BERTH_ERROR;
    }
}

// ABI 1.3: asks the host, which checks and keeps the revocation (`field`: token or subject).
int end_session_request(void* ctx, std::string_view type, const char* field, berth_bytes value,
                        const berth_writer* error) {
    try {
        auto answer = chan(ctx).request({{"t", type}, {"for", serving_request::current()}, {field, view(value)}});
        if (!ok_reply(answer)) {
            write_text(error, text_field(answer, "error", strict));
            return BERTH_ERROR;
        }
        return BERTH_OK;
    } catch (const std::exception& e) {
        write_text(error, std::string("the host's answer to ending sessions was malformed: ") + e.what());
        return BERTH_ERROR;
    }
}

int end_session(void* ctx, berth_bytes token, const berth_writer* error) {
    return end_session_request(ctx, msg::end_session, "token", token, error);
}

int end_sessions(void* ctx, berth_bytes subject, const berth_writer* error) {
    return end_session_request(ctx, msg::end_sessions, "subject", subject, error);
}

void report_lease_wait(void* ctx, uint64_t waited_ns, int granted) {
    try {
        const auto waited = static_cast<std::int64_t>(std::min<uint64_t>(waited_ns, INT64_MAX));
        chan(ctx).send({{"t", msg::lease}, {"waited_ns", waited}, {"granted", granted ? 1 : 0}});
    } catch (...) {
    }
}

}  // namespace

serving_request::serving_request(std::int64_t id) : previous_(serving_id) { serving_id = id; }
serving_request::~serving_request() { serving_id = previous_; }
std::int64_t serving_request::current() { return serving_id; }

berth_host_api host_api(channel* ch) {
    return berth_host_api{sizeof(berth_host_api), ch, &log, &issue_token, &call, &report_lease_wait, &end_session,
                          &end_sessions};
}

}  // namespace berth::worker
