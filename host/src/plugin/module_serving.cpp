// How a module serves: host routes on the I/O thread, admission against its budget, its own
// handler threads, the generation serving the request's major held for the request, and
// in-process calls. What happens to a request once it is on a handler thread is the
// pipeline's (pipeline/).
#include "plugin/module.hpp"

#include "exec/worker_pool.hpp"
#include "http/problem.hpp"
#include "http/request_id.hpp"
#include "http/target.hpp"
#include "ops/telemetry.hpp"
#include "pipeline/cors.hpp"
#include "pipeline/docs_ui.hpp"
#include "pipeline/host_routes.hpp"
#include "pipeline/pipeline.hpp"
#include "pipeline/route_contract.hpp"

#include <spdlog/spdlog.h>

namespace berth::host::plugin {

namespace {

// What a public port says when the module cannot serve: nothing about why (that is for the
// admin API and the log).
http::response unavailable() {
    auto r = http::problem(503, "the module is not available; try again later");
    r.set_header("Retry-After", "5");
    return r;
}

http::response at_capacity() {
    auto r = http::problem(503, "the module is at capacity; try again shortly");
    r.set_header("Retry-After", "1");
    return r;
}

// The major a request target asks for: "/v2/..." is 2. A first segment written with
// percent-escapes is decoded first, as the route table sees it; the common case parses nothing.
std::optional<int> request_major(std::string_view target) {
    if (target.substr(0, target.find_first_of("/?", 1)).find('%') == std::string_view::npos)
        return pipeline::major_of(target);
    auto parsed = http::parse_target(target);
    if (!parsed || parsed->segments.empty()) return std::nullopt;
    return pipeline::major_of("/" + parsed->segments.front() + "/-");
}

using clock = std::chrono::steady_clock;

// The request stream's one call site for module requests: every answer a module port or an
// in-process call gives is told here once, named by its route template (ops/telemetry.hpp).
struct answered {
    std::string_view route = "unmatched";
    std::uint64_t generation = 0;
    int major = 0;
};

void observe(const abi::host_services* services, std::string_view module, const http::request& request,
             std::string_view request_id, int status, std::size_t bytes_out, const answered& by, clock::time_point t0) {
    if (!services || !services->telemetry) return;
    ops::request_record r;
    r.duration = clock::now() - t0;
    r.start = std::chrono::system_clock::now() - std::chrono::duration_cast<std::chrono::system_clock::duration>(r.duration);
    r.request_id = request_id;
    r.module = module;
    r.method = request.method;
    r.route = by.route;
    r.peer = request.peer;
    r.generation = by.generation;
    r.major = by.major;
    r.status = status;
    r.bytes_in = request.body.size();
    r.bytes_out = bytes_out;
    services->telemetry->observe(r);
}

answered named(const generation* gen, const pipeline::route_contract* route) {
    answered a;
    if (gen) a.generation = gen->number();
    if (route) {
        a.route = route->path;
        a.major = route->major;
    }
    return a;
}

}  // namespace

std::shared_ptr<generation> module::serving_for(std::string_view target) const {
    const auto major = request_major(target);
    std::lock_guard lock(active_mutex_);
    if (!serving_ || !major) return nullptr;
    for (auto& [m, g] : serving_->by_major)
        if (m == *major) return g;
    return nullptr;
}

http::response module::not_served(std::string_view target) const {
    // A target that is no URI at all gets the target stage's 400, as on a served major.
    std::string why;
    if (!http::parse_target(target, &why)) return http::problem(400, why);
    std::vector<int> majors;
    {
        std::lock_guard lock(active_mutex_);
        if (!serving_) return unavailable();
        majors = serving_->majors();
    }
    const std::string detail = majors.empty() ? "this module serves no major version"
                               : majors.size() == 1 ? "this module serves major " + major_list(majors)
                                                    : "this module serves majors " + major_list(majors);
    return http::problem(404, detail, {{"majors", majors}});
}

http::response module::health() const {
    auto gen = active();
    if (!gen) return http::json_response(503, {{"status", "unavailable"}, {"module", config().name}});
    return http::json_response(
        200, {{"status", "ok"}, {"module", config().name}, {"plugin", gen->plugin_name()}, {"version", gen->version()}});
}

http::response module::openapi() const {
    auto doc = document();
    if (!doc) return unavailable();
    return pipeline::openapi_response(doc->text);
}

std::optional<http::response> module::check_head(const http::request& head) {
    const auto t0 = clock::now();
    if (pipeline::is_preflight(head)) return std::nullopt;  // handle() answers it
    // A refusal here is the request's answer: the edge sends it and handle() never sees it.
    auto told = [&](std::optional<http::response> r, answered by) {
        if (r) observe(services_, config().name, head, head.id, r->status, r->body.size(), by, t0);
        return r;
    };
    if (pipeline::is_docs_target(head.target)) return told(pipeline::refuse_docs_method(head.method), {"host"});
    if (auto route = pipeline::host_route_of(head.target); route != pipeline::host_route::none)
        return told(pipeline::refuse_method(route, head.method), {"host"});
    if (admitted_.load() >= config().limits.max_in_flight + config().limits.max_queue) return told(at_capacity(), {});
    auto gen = serving_for(head.target);
    if (!gen) return told(not_served(head.target), {});
    const pipeline::route_contract* matched = nullptr;
    auto r = pipeline::check_head(gen->endpoint(), head, abi::request_context{head.id, {}}, &matched);
    return told(std::move(r), named(gen.get(), matched));
}

void module::handle(http::request request, completion done) {
    const auto t0 = clock::now();
    // Answered here, on the I/O thread: told to the request stream, then sent.
    auto reply = [&](http::response r, answered by = {"host"}) {
        observe(services_, config().name, request, request.id, r.status, r.body.size(), by, t0);
        done(std::move(r));
    };
    // CORS preflights and /docs on the I/O thread, like the host routes: no plugin code runs.
    if (pipeline::is_preflight(request)) return reply(pipeline::preflight(config().cors.allowed_origins, request));
    done = pipeline::with_cors(config().cors.allowed_origins, request, std::move(done));
    if (pipeline::is_docs_target(request.target))
        return reply(pipeline::serve_module_docs(docs_.get(), request, config().name));
    // Host routes on the I/O thread: never behind plugin work.
    if (auto route = pipeline::host_route_of(request.target); route != pipeline::host_route::none) {
        auto refusal = pipeline::refuse_method(route, request.method);
        if (refusal) return reply(std::move(*refusal));
        return reply(route == pipeline::host_route::openapi ? openapi() : health());
    }
    // Admission before queueing: a module that is full answers at once, and other modules, on
    // threads of their own, never notice.
    if (admitted_.fetch_add(1) >= config().limits.max_in_flight + config().limits.max_queue) {
        --admitted_;
        {
            std::lock_guard lock(mutex_);
            ++counters_.refused_at_capacity;
        }
        return reply(at_capacity(), {});
    }
    // One allocation carries the request to a handler thread: the request, its answer slot, and
    // the admission. The task gives the admission back once its answer is decided, before it is
    // sent; otherwise (the task was dropped at stop, or never ran) the last reference does.
    struct queued {
        std::shared_ptr<module> self;
        http::request request;
        request_ticket ticket;
        clock::time_point arrived;
        std::atomic<bool> released{false};
        // Once: a client that sends its next request on reading this answer finds the slot free.
        void release() {
            if (!released.exchange(true)) --self->admitted_;
        }
        ~queued() { release(); }
    };
    auto q = std::make_shared<queued>();
    q->self = shared_from_this();
    q->ticket.done = std::move(done);
    q->ticket.request_id = request.id.empty() ? http::request_id_for({}) : std::move(request.id);
    q->request = std::move(request);
    q->arrived = t0;
    // The edge sets X-Request-Id on every answer it sends; the id is this request's.
    workers_->post([q = std::move(q)] {
        // Answered 503 at its deadline while it waited: it must never run afterwards.
        if (q->request.admission && !q->request.admission->begin()) return;
        std::shared_ptr<request_ticket> ticket(q, &q->ticket);
        http::response r;
        served_by by;
        try {
            r = q->self->serve(q->request, ticket, by);
        } catch (const std::exception& e) {
            spdlog::error("[{}] request {} failed in the host: {}", q->self->config().name, ticket->request_id, e.what());
            r = http::problem(500, "the host failed while handling the request");
        }
        // Told to the request stream before it is sent, as on the I/O thread: a client that has
        // its answer finds it counted. Someone answered first: a drain cut-off, whose 503 is
        // what the client got.
        const bool ours = ticket->claim();
        observe(q->self->services_, q->self->config().name, q->request, ticket->request_id, ours ? r.status : 503,
                ours ? r.body.size() : 0, named(by.gen.get(), by.route), q->arrived);
        q->release();
        if (ours) ticket->send(std::move(r));
    });
}

http::response module::serve(const http::request& request, const std::shared_ptr<request_ticket>& t, served_by& by) {
    auto gen = serving_for(request.target);  // this request finishes on this generation
    if (!gen) return not_served(request.target);
    by.gen = gen;
    gen->enter(t);
    struct stay {
        generation& g;
        request_ticket& t;
        ~stay() { g.leave(t); }
    } guard{*gen, *t};
    return pipeline::serve(gen->endpoint(), request, abi::request_context{t->request_id, {}}, &by.route);
}

http::response module::call(const http::request& request, const abi::request_context& ctx) {
    const auto t0 = clock::now();
    auto gen = serving_for(request.target);
    abi::request_context rc = ctx;
    if (rc.request_id.empty()) rc.request_id = http::request_id_for(request.header("X-Request-Id"));
    http::response r;
    const pipeline::route_contract* matched = nullptr;
    if (!gen) {
        r = not_served(request.target);
    } else {
        ++gen->in_flight;
        struct leave {
            generation& g;
            ~leave() { --g.in_flight; }
        } guard{*gen};
        r = pipeline::serve(gen->endpoint(), request, rc, &matched);
    }
    r.set_header("X-Request-Id", rc.request_id);
    observe(services_, config().name, request, rc.request_id, r.status, r.body.size(), named(gen.get(), matched), t0);
    return r;
}

}  // namespace berth::host::plugin
