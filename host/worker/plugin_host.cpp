#include "plugin_host.hpp"

#include "host_api.hpp"
#include "limits.hpp"
#include "abi/abi_bridge.hpp"
#include "isolate/fields.hpp"
#include "isolate/protocol.hpp"
#include "plugin/plugin_library.hpp"

#include <dlfcn.h>
#include <unistd.h>

#include <exception>
#include <vector>

namespace berth::worker {

namespace msg = host::isolate::msg;
using host::abi::bytes;
using host::abi::text_sink;
using host::isolate::bad_field;
using host::isolate::int_field;
using host::isolate::pair_list;
using host::isolate::pairs_field;
using host::isolate::text_field;

namespace {

// The host is trusted, but a field of the wrong type is answered (ok:false), not crashed on.
constexpr auto strict = host::isolate::on_bad::strict;
constexpr unsigned max_threads = 1024;

// The answer as the plugin wrote it: headers are checked by the host's own response sink, so
// a header that cannot be sent is refused there exactly as in-process.
struct response_out {
    int status = 0;
    pair_list headers;
    std::vector<std::uint8_t> body;  // the reply's bin as it is: no copy on the way out
    std::size_t header_bytes = 0;
    berth_response_writer writer{sizeof(berth_response_writer), this, &response_out::set_status,
                                 &response_out::add_header, &response_out::append_body};
    static void set_status(void* ctx, int status) { static_cast<response_out*>(ctx)->status = status; }
    static void add_header(void* ctx, berth_bytes name, berth_bytes value) {
        if (!name.data || !value.data) return;
        auto* out = static_cast<response_out*>(ctx);
        out->headers.emplace_back(std::string(name.data, name.size), std::string(value.data, value.size));
        out->header_bytes += name.size + value.size;
    }
    static void append_body(void* ctx, berth_bytes chunk) {
        if (!chunk.data || !chunk.size) return;
        auto& body = static_cast<response_out*>(ctx)->body;
        body.insert(body.end(), chunk.data, chunk.data + chunk.size);
    }
};

std::vector<berth_pair> borrowed(const pair_list& pairs) {
    std::vector<berth_pair> out;
    out.reserve(pairs.size());
    for (const auto& [name, value] : pairs) out.push_back({bytes(name), bytes(value)});
    return out;
}

// The request body, borrowed from the message (which outlives the handler call).
berth_bytes body_of(const nlohmann::json& m) {
    auto it = m.find("body");
    if (it == m.end() || it->is_null()) return {"", 0};
    if (it->is_string()) return {it->get_ref<const std::string&>().data(), it->get_ref<const std::string&>().size()};
    if (!it->is_binary()) throw bad_field("field 'body' is not bytes");
    const auto& b = it->get_binary();
    return {reinterpret_cast<const char*>(b.data()), b.size()};
}

std::string or_default(std::string text, const char* otherwise) { return text.empty() ? otherwise : text; }

}  // namespace

plugin_host::plugin_host(channel& ch) : channel_(ch), api_(host_api(&ch)) {}

bool plugin_host::load(std::int64_t id, const nlohmann::json& m, const thread_starter& start_threads) {
    if (descriptor_) {
        channel_.reply_error(id, "a plugin is already loaded in this worker", "worker");
        return false;
    }
    worker_limits limits;
    std::int64_t threads = 0;
    try {
        limits.module = text_field(m, "module", strict);
        data_dir_ = text_field(m, "data_dir", strict);
        threads = int_field(m, "threads", 4, strict);
        const auto memory = int_field(m, "memory_limit_mb", 0, strict);
        const auto files = int_field(m, "max_open_files", 0, strict);
        if (memory < 0 || files < 0) throw bad_field("memory_limit_mb and max_open_files must not be negative");
        limits.memory_limit_mb = static_cast<std::uint64_t>(memory);
        limits.max_open_files = static_cast<std::uint64_t>(files);
        limits.user = text_field(m, "user", strict);
    } catch (const std::exception& e) {
        channel_.reply_error(id, std::string("bad load message: ") + e.what(), "worker");
        return false;
    }
    if (limits.module.empty()) {
        channel_.reply_error(id, "bad load message: no module name", "worker");
        return false;
    }
    if (threads < 1 || threads > max_threads) {
        channel_.reply_error(id, "bad load message: threads must be 1 to " + std::to_string(max_threads), "worker");
        return false;
    }
    module_ = limits.module;
    std::vector<std::string> notes;
    if (auto why = apply_limits(limits, notes)) {
        channel_.reply_error(id, *why, "worker");
        return false;
    }
    for (const auto& note : notes)
        channel_.send({{"t", msg::log}, {"level", BERTH_LOG_WARN}, {"message", note}});

    // fd 4: the sealed image the host hashed and inspected; never the plugin file by its path.
    void* handle = dlopen("/proc/self/fd/4", RTLD_NOW | RTLD_LOCAL);
    if (!handle) {
        const char* why = dlerror();
        channel_.reply_error(id, why ? why : "dlopen failed", "dlopen");
        return false;
    }
    close(4);  // mapped now; the plugin has no use for the descriptor
    auto* d = static_cast<const berth_plugin_descriptor*>(dlsym(handle, BERTH_DESCRIPTOR_SYMBOL));
    if (!d) {
        channel_.reply_error(id, "the library does not export " BERTH_DESCRIPTOR_SYMBOL, "descriptor");
        return false;
    }
    if (auto why = host::plugin::check_descriptor(*d)) {
        channel_.reply_error(id, "rejected: " + *why, "descriptor");
        return false;
    }
    if (auto why = start_threads(static_cast<unsigned>(threads))) {
        channel_.reply_error(id, *why, "worker");
        return false;
    }
    descriptor_ = d;
    channel_.reply_ok(id, {{"name", d->name}, {"version", d->version}, {"fingerprint", d->fingerprint}});
    return true;
}

void plugin_host::create(std::int64_t id, const nlohmann::json& m) {
    if (created_) return channel_.reply_error(id, "create was already called in this worker");
    const std::string settings = text_field(m, "settings", strict), database = text_field(m, "database", strict);
    berth_create_args args{sizeof(berth_create_args), bytes(module_), bytes(settings), bytes(database), bytes(data_dir_)};
    text_sink error;
    void* instance = nullptr;
    created_ = true;
    if (descriptor_->create(&api_, &args, &instance, &error.writer) != BERTH_OK || !instance)
        return channel_.reply_error(id, or_default(error.text, "create failed"));
    instance_ = instance;
    channel_.reply_ok(id);
}

void plugin_host::lifecycle(std::int64_t id, const std::string& type, const nlohmann::json& m) {
    try {
        if (!descriptor_) return channel_.reply_error(id, "no plugin is loaded in this worker");
        if (type == msg::create) return create(id, m);
        void* instance = instance_.load();
        if (!instance) return channel_.reply_error(id, "the plugin has no instance (create did not succeed)");
        const auto* d = descriptor_;
        text_sink error;
        if (type == msg::describe) {
            text_sink manifest;
            if (d->describe(instance, &manifest.writer, &error.writer) != BERTH_OK)
                return channel_.reply_error(id, or_default(error.text, "describe failed"));
            if (!channel::carries(manifest.text.size()))
                return channel_.reply_error(id, "the manifest is larger than the worker's channel carries");
            return channel_.reply_ok(id, {{"manifest", manifest.text}});
        }
        if (type == msg::start) {
            if (d->start(instance, &error.writer) != BERTH_OK)
                return channel_.reply_error(id, or_default(error.text, "start failed"));
            return channel_.reply_ok(id);
        }
        if (type == msg::ready) {
            if (d->ready && d->ready(instance, &error.writer) != BERTH_OK)
                return channel_.reply_error(id, or_default(error.text, "not ready"));
            return channel_.reply_ok(id);
        }
        if (type == msg::stop) {
            d->stop(instance);
            return channel_.reply_ok(id);
        }
        if (type == msg::destroy) {
            instance_ = nullptr;
            d->destroy(instance);
            return channel_.reply_ok(id);
        }
        channel_.reply_error(id, "unknown lifecycle message");
    } catch (const std::exception& e) {
        channel_.reply_error(id, type + " failed in the worker: " + e.what());
    } catch (...) {
        channel_.reply_error(id, type + " failed in the worker");
    }
}

void plugin_host::handle(std::int64_t id, const nlohmann::json& m) {
    try {
        void* instance = instance_.load();
        if (!descriptor_ || !instance) return channel_.reply_error(id, "the plugin has no instance");
        const auto route = int_field(m, "route", 0, strict);
        if (route < 0 || route > UINT32_MAX) throw bad_field("field 'route' is out of range");
        const std::string method = text_field(m, "method", strict), target = text_field(m, "target", strict),
                          path = text_field(m, "path", strict), request_id = text_field(m, "request_id", strict),
                          subject = text_field(m, "subject", strict), scopes = text_field(m, "scopes", strict),
                          caller = text_field(m, "caller", strict);
        const pair_list params = pairs_field(m, "params", strict), query = pairs_field(m, "query", strict),
                        headers = pairs_field(m, "headers", strict);
        const auto raw_params = borrowed(params), raw_query = borrowed(query), raw_headers = borrowed(headers);
        const berth_request request{sizeof(berth_request),
                                    static_cast<std::uint32_t>(route),
                                    bytes(method),
                                    bytes(target),
                                    bytes(path),
                                    raw_params.data(),
                                    raw_params.size(),
                                    raw_query.data(),
                                    raw_query.size(),
                                    raw_headers.data(),
                                    raw_headers.size(),
                                    body_of(m),
                                    bytes(request_id),
                                    bytes(subject),
                                    bytes(scopes),
                                    bytes(caller)};
        response_out out;
        text_sink error;
        int rc;
        {
            serving_request serving(id);  // the `for` of the plugin's token and call requests
            rc = descriptor_->handle(instance, &request, &out.writer, &error.writer);
        }
        if (rc != BERTH_OK) return channel_.reply_error(id, or_default(error.text, "the handler failed"));
        if (!channel::carries(out.body.size() + out.header_bytes))
            return channel_.reply_error(id, "the response is larger than the worker's channel carries");
        channel_.reply_ok(id, {{"status", out.status},
                               {"headers", host::isolate::pairs_json(out.headers)},
                               {"body", nlohmann::json::binary(std::move(out.body))}});
    } catch (const std::exception& e) {
        channel_.reply_error(id, std::string("the worker could not serve the request: ") + e.what());
    } catch (...) {
        channel_.reply_error(id, "the request failed in the worker");
    }
}

}  // namespace berth::worker
