// The stand-in descriptor's entry points: each one crosses the channel to the worker. The
// instance they get is the isolated_plugin (set by isolated_plugin::create).
#include "isolate/isolated_plugin_impl.hpp"

#include "abi/abi_bridge.hpp"
#include "isolate/protocol.hpp"

#include <spdlog/spdlog.h>

namespace berth::host::isolate {

using nlohmann::json;

namespace {

void write(const berth_writer* w, std::string_view text) {
    if (w && w->write) w->write(w->ctx, {text.data(), text.size()});
}

using abi::view;

json pairs(const berth_pair* p, std::size_t n) {
    json out = json::array();
    for (std::size_t i = 0; p && i < n; ++i) out.push_back(json::array({view(p[i].name), view(p[i].value)}));
    return out;
}


// A lifecycle call: ok, or the error text to give back (the worker's, or how it ended).
bool lifecycle_call(isolated_plugin::impl& d, json message, const berth_writer* error, json* reply,
                    std::optional<std::chrono::milliseconds> limit) {
    const std::string what = message["t"].get<std::string>();
    auto link = d.current_link();
    if (!link) {
        write(error, "the module's worker is not running");
        return false;
    }
    std::optional<worker_link::clock::time_point> deadline;
    if (limit) deadline = worker_link::clock::now() + *limit;
    auto out = link->request(std::move(message), deadline);
    if (!out.reply) {
        if (out.timed_out) {  // a worker stuck in a lifecycle call is ended: nothing else would end it
            const auto text = "the worker did not answer " + what + " within " + std::to_string(limit->count()) + " ms";
            d.end_worker(link.get(), text, "deadline");
            write(error, text);
        } else {
            write(error, "the worker ended during " + what);
        }
        return false;
    }
    if (!ok_reply(*out.reply)) {
        const auto text = text_field(*out.reply, "error");
        write(error, text.empty() ? what + " failed" : text);
        return false;
    }
    if (reply) *reply = std::move(*out.reply);
    return true;
}

// Nothing throws past an entry point: the generation calls these as it calls a plugin's.
bool lifecycle(isolated_plugin::impl& d, json message, const berth_writer* error, json* reply = nullptr,
               std::optional<std::chrono::milliseconds> limit = std::nullopt) {
    try {
        return lifecycle_call(d, std::move(message), error, reply, limit);
    } catch (const std::exception& e) {
        write(error, std::string("the host could not reach the worker: ") + e.what());
        return false;
    }
}

}  // namespace

struct stand_in {
    static isolated_plugin::impl& of(void* instance) { return *static_cast<isolated_plugin*>(instance)->impl_; }

    static int create(const berth_host_api*, const berth_create_args*, void**, const berth_writer* error) {
        write(error, "an isolated plugin is created through isolated_plugin::create");
        return BERTH_ERROR;
    }

    static int describe(void* instance, const berth_writer* out, const berth_writer* error) {
        auto& d = of(instance);
        json reply;
        if (!lifecycle(d, json{{"t", msg::describe}}, error, &reply, d.options.ready_timeout)) return BERTH_ERROR;
        const auto manifest = text_field(reply, "manifest");
        {
            std::lock_guard lock(d.m);
            if (d.manifest.empty()) d.manifest = manifest;
        }
        write(out, manifest);
        return BERTH_OK;
    }

    static int start(void* instance, const berth_writer* error) {
        return lifecycle(of(instance), json{{"t", msg::start}}, error) ? BERTH_OK : BERTH_ERROR;
    }

    // A first start has no deadline (migrations run there, as in-process); a restart's is the supervisor's.
    static int ready(void* instance, const berth_writer* error) {
        auto& d = of(instance);
        if (!lifecycle(d, json{{"t", msg::ready}}, error, nullptr, d.options.ready_timeout)) return BERTH_ERROR;
        std::lock_guard lock(d.m);
        d.cv.notify_all();
        if (d.state == "starting" && !d.worker.link) {
            // It answered ready, then ended before we got here: nothing serves and, since it never
            // served, no restart was planned. The load fails rather than go live unable to serve.
            write(error, "the worker ended just after it said it was ready");
            return BERTH_ERROR;
        }
        if (d.state == "starting") {
            d.state = "serving";
            d.worker.link->expect_from_now();
        }
        return BERTH_OK;
    }

    static int handle(void* instance, const berth_request* r, const berth_response_writer* w, const berth_writer* error) {
        try {
            return forward(of(instance), r, w, error);
        } catch (const std::exception& e) {
            write(error, std::string("the host could not pass the request to the worker: ") + e.what());
            return BERTH_ERROR;
        }
    }

    static int forward(isolated_plugin::impl& d, const berth_request* r, const berth_response_writer* w,
                       const berth_writer* error) {
        std::string why;
        auto link = d.serving_link(&why);
        if (!link) {
            write(error, why);
            return worker_unavailable;
        }
        json message = {{"t", msg::handle},
                        {"route", r->route},
                        {"method", view(r->method)},
                        {"target", view(r->target)},
                        {"path", view(r->path)},
                        {"params", pairs(r->params, r->param_count)},
                        {"query", pairs(r->query, r->query_count)},
                        {"headers", pairs(r->headers, r->header_count)},
                        {"body", binary(view(r->body))},
                        {"request_id", view(r->request_id)},
                        {"subject", view(r->subject)},
                        {"scopes", view(r->scopes)},
                        {"caller", view(r->caller)}};
        const auto limit = d.options.handler_timeout;
        auto out = link->request(std::move(message), worker_link::clock::now() + limit);
        if (!out.reply) {
            if (!out.sent) {  // the worker never saw it: safe to retry
                write(error, "the module's worker is restarting");
                return worker_unavailable;
            }
            if (!out.timed_out) return worker_lost;
            // A thread cannot be stopped alone; a process can: this makes handler_timeout_ms real.
            d.end_worker(link.get(),
                         "a handler ran past handler_timeout_ms (" + std::to_string(limit.count()) + " ms) on request " +
                             std::string(view(r->request_id)),
                         "deadline");
            write(error, "the request handler did not finish within its deadline");  // as the session's own 503
            return worker_unavailable;
        }
        const json& reply = *out.reply;
        if (!ok_reply(reply)) {
            write(error, text_field(reply, "error"));
            return BERTH_ERROR;
        }
        w->set_status(w->ctx, static_cast<int>(int_field(reply, "status", 0)));
        if (auto h = reply.find("headers"); h != reply.end() && h->is_array()) {
            for (auto& pair : *h) {
                if (!pair.is_array() || pair.size() != 2 || !pair[0].is_string() || !pair[1].is_string()) continue;
                const auto& n = pair[0].get_ref<const std::string&>();
                const auto& v = pair[1].get_ref<const std::string&>();
                w->add_header(w->ctx, {n.data(), n.size()}, {v.data(), v.size()});
            }
        }
        const auto body = bytes_field(reply, "body");
        if (!body.empty()) w->append_body(w->ctx, {body.data(), body.size()});
        return BERTH_OK;
    }

    static void stop(void* instance) {
        auto& d = of(instance);
        {
            std::lock_guard lock(d.m);
            d.lifecycle_done = true;  // it serves no more: a worker that crashes now is not restarted
            d.restart_due.reset();
            d.next_restart_at.reset();
        }
        lifecycle(d, json{{"t", msg::stop}}, nullptr, nullptr, d.options.ready_timeout);
    }

    static void destroy(void* instance) {
        auto& d = of(instance);
        {
            std::lock_guard lock(d.m);
            d.lifecycle_done = true;  // a worker that crashes from now on is not restarted
            d.restart_due.reset();
            d.next_restart_at.reset();
        }
        lifecycle(d, json{{"t", msg::destroy}}, nullptr, nullptr, d.options.ready_timeout);
        std::unique_lock lock(d.host_mutex);
        d.host = nullptr;  // the generation's host table goes with it
    }
};

bool is_stand_in(const berth_plugin_descriptor& d) { return d.handle == &stand_in::handle; }

void fill_entry_points(berth_plugin_descriptor& d) {
    d.create = &stand_in::create;
    d.describe = &stand_in::describe;
    d.start = &stand_in::start;
    d.ready = &stand_in::ready;
    d.handle = &stand_in::handle;
    d.stop = &stand_in::stop;
    d.destroy = &stand_in::destroy;
}

}  // namespace berth::host::isolate
