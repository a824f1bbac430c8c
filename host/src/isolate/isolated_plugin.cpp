// isolated_plugin: launch (spawn and load), create, status and the planned stop. The stand-in
// entry points are in isolated_entry.cpp, the worker's requests in isolated_services.cpp, the
// supervision in supervisor.cpp.
#include "isolate/isolated_plugin_impl.hpp"

#include "isolate/protocol.hpp"

#include <spdlog/spdlog.h>

#include <unistd.h>

#include <atomic>
#include <cstdint>

namespace berth::host::isolate {

using nlohmann::json;

void fill_entry_points(berth_plugin_descriptor& d);  // isolated_entry.cpp

worker_link::handlers isolated_plugin::impl::link_handlers() {
    worker_link::handlers h;
    h.notice = [this](const json& m) { notice(m); };
    h.serve = [this](const json& m) { return serve(m); };
    return h;  // `ended` is set by spawn_and_load, which knows the link it belongs to
}

std::variant<worker_handle, plugin::load_failure> isolated_plugin::impl::spawn_and_load(json* reply) {
    auto s = spawn_worker(options.executable, options.module, image.get());
    if (auto* e = std::get_if<std::string>(&s)) return plugin::load_failure{"worker", source + ": " + *e};
    auto& sp = std::get<spawned>(s);
    worker_handle w{sp.pid, nullptr};
    auto h = link_handlers();
    auto tag = std::make_shared<std::atomic<worker_link*>>(nullptr);
    h.ended = [this, tag](const std::string& why) { on_death(tag->load(), why); };
    const auto write_timeout = std::chrono::milliseconds(std::max<std::uint32_t>(100, options.limits.heartbeat_timeout_ms));
    try {
        w.link = std::make_shared<worker_link>(std::move(sp.channel), std::move(h), write_timeout);
    } catch (const std::exception& e) {  // no thread for its reader: nothing of it may stay running
        kill_and_reap(w.pid);
        return plugin::load_failure{"worker", source + ": the worker's channel could not be served: " + e.what()};
    }
    *tag = w.link.get();

    json load = {{"t", msg::load},
                 {"module", options.module},
                 {"data_dir", options.data_dir.string()},
                 {"threads", options.threads},
                 {"memory_limit_mb", options.limits.memory_limit_mb},
                 {"max_open_files", options.limits.max_open_files},
                 {"user", options.limits.user}};
    auto out = w.link->request(std::move(load), std::chrono::steady_clock::now() + options.ready_timeout);
    if (!out.reply || !ok_reply(*out.reply)) {
        const int status = kill_and_reap(w.pid);
        w.link->close();
        if (!out.reply)
            return plugin::load_failure{"worker", source + ": the worker (pid " + std::to_string(w.pid) + ") " +
                                                      (out.timed_out ? "did not load the plugin within " +
                                                                           std::to_string(options.ready_timeout.count()) + " ms"
                                                                     : exit_text(status)) +
                                                      " while loading"};
        std::string step = text_field(*out.reply, "step");
        if (step != "dlopen" && step != "descriptor") step = "worker";
        const std::string error = text_field(*out.reply, "error");
        return plugin::load_failure{step, source + ": " + (error.empty() ? "the worker could not load it" : error)};
    }
    if (reply) *reply = std::move(*out.reply);
    return w;
}

void isolated_plugin::impl::end_worker(const worker_link* link, const std::string& note, const char* kind) {
    pid_t pid = 0;
    {
        std::lock_guard lock(m);
        // Only the supervisor reaps, after taking the worker out of `worker`: while it is here, its
        // pid is not reaped and the signal cannot reach another process.
        if (!link || worker.link.get() != link || worker.pid <= 0 || host_killed == worker.pid) return;
        pid = host_killed = worker.pid;
        host_note = note;
        host_kind = kind;
        kill_group(pid);  // its reader sees the end; `died` follows
    }
    spdlog::error("[{}] ending worker pid {}: {}", options.module, pid, note);
}

void isolated_plugin::impl::on_death(worker_link* link, const std::string& why) {
    {
        std::lock_guard lock(m);
        if (!link || worker.link.get() != link) return;  // a worker being loaded, or already taken
        died = true;
        death_note = why;
    }
    cv.notify_all();
}

std::shared_ptr<worker_link> isolated_plugin::impl::serving_link(std::string* why) const {
    std::lock_guard lock(m);
    if (state == "serving" && worker.link) return worker.link;
    if (why) *why = unavailable_text();
    return nullptr;
}

std::shared_ptr<worker_link> isolated_plugin::impl::current_link() const {
    std::lock_guard lock(m);
    return state == "stopped" ? nullptr : worker.link;
}

std::string isolated_plugin::impl::unavailable_text() const {
    if (state == "failed") return failed_reason;
    if (state == "restarting") return "the module's worker is restarting";
    if (state == "starting") return "the module's worker is starting";
    return "the module's worker is stopped";
}

namespace {

// As root, a worker without a user of its own would run the module's code as root: it could read
// every key and token berthd can, so process isolation would bound crashes and nothing else.
std::optional<std::string> root_without_user(const worker_options& o) {
    if (::geteuid() != 0 || !o.limits.user.empty()) return std::nullopt;
    return "berthd runs as root and module \"" + o.module +
           "\" names no \"process\": {\"user\": ...}; its worker would run the plugin as root, able to read "
           "everything berthd can (the admin token, the signing key). Name an unprivileged user that can use the "
           "module's database (\"user\": \"root\" keeps root, knowingly)";
}

}  // namespace

std::variant<std::shared_ptr<isolated_plugin>, plugin::load_failure> isolated_plugin::launch(const plugin::file_image& image,
                                                                                           worker_options options) {
    std::shared_ptr<isolated_plugin> p(new isolated_plugin());
    p->impl_ = std::make_unique<impl>();
    auto& d = *p->impl_;
    d.options = std::move(options);
    d.source = image.source.string();
    if (d.options.executable.empty() || ::access(d.options.executable.c_str(), X_OK) != 0)
        return plugin::load_failure{"worker", "no worker program at " + d.options.executable.string() +
                                                  " (config worker_executable, or berth-worker beside berthd)"};
    if (auto why = root_without_user(d.options)) return plugin::load_failure{"worker", d.source + ": " + *why};
    auto sealed = sealed_image(image.bytes);
    if (auto* e = std::get_if<std::string>(&sealed)) return plugin::load_failure{"worker", d.source + ": " + *e};
    d.image = std::get<unique_fd>(std::move(sealed));

    json reply;
    auto loaded = d.spawn_and_load(&reply);
    if (auto* f = std::get_if<plugin::load_failure>(&loaded)) return std::move(*f);
    auto w = std::get<worker_handle>(std::move(loaded));
    d.name = text_field(reply, "name");
    d.version = text_field(reply, "version");
    d.fingerprint = text_field(reply, "fingerprint");
    d.descriptor = berth_plugin_descriptor{};
    d.descriptor.abi_major = BERTH_ABI_MAJOR;
    d.descriptor.abi_minor = BERTH_ABI_MINOR;
    d.descriptor.struct_size = sizeof(berth_plugin_descriptor);
    d.descriptor.fingerprint = d.fingerprint.c_str();
    d.descriptor.name = d.name.c_str();
    d.descriptor.version = d.version.c_str();
    fill_entry_points(d.descriptor);
    // The worker checked it; the host checks what the worker says too (it reaches logs and the API).
    if (auto why = plugin::check_descriptor(d.descriptor)) {
        kill_and_reap(w.pid);
        w.link->close();
        return plugin::load_failure{"descriptor", d.source + " rejected: " + *why};
    }
    {
        std::lock_guard lock(d.m);
        d.worker = std::move(w);
        if (d.worker.link->ended()) d.died = true;  // it ended before it was ours to watch
    }
    d.supervisor = std::thread([&d] { d.supervise(); });
    return p;
}

const berth_plugin_descriptor& isolated_plugin::descriptor() const { return impl_->descriptor; }

int isolated_plugin::create(const berth_host_api* host, const berth_create_args* args, void** instance,
                            const berth_writer* error) {
    auto& d = *impl_;
    auto fail = [&](std::string_view text) {
        // No destroy() follows a failed create: the generation's host table goes with it, so
        // nothing here may keep pointing at it (the reader and fallback threads outlive this call).
        {
            std::unique_lock lock(d.host_mutex);
            d.host = nullptr;
        }
        if (error && error->write) error->write(error->ctx, {text.data(), text.size()});
        return BERTH_ERROR;
    };
    if (!args || !instance) return fail("malformed create");
    {
        std::unique_lock lock(d.host_mutex);
        d.host = host;
    }
    d.settings.assign(args->settings.data ? args->settings.data : "", args->settings.size);
    d.database.assign(args->database.data ? args->database.data : "", args->database.size);
    auto link = d.current_link();
    if (!link) return fail("the worker is not running");
    auto out = link->request(json{{"t", msg::create}, {"settings", d.settings}, {"database", d.database}},
                             worker_link::clock::now() + d.options.ready_timeout);
    if (out.timed_out) {
        const auto text = "the worker did not answer create within " + std::to_string(d.options.ready_timeout.count()) + " ms";
        d.end_worker(link.get(), text, "deadline");
        return fail(text);
    }
    if (!out.reply) return fail("the worker ended during create");
    if (!ok_reply(*out.reply)) {
        const auto text = text_field(*out.reply, "error");
        return fail(text.empty() ? "create failed" : text);
    }
    *instance = this;
    return BERTH_OK;
}

worker_snapshot isolated_plugin::status() const {
    auto& d = *impl_;
    std::lock_guard lock(d.m);
    worker_snapshot s;
    s.pid = d.worker.pid;
    s.state = d.state;
    s.restarts = d.restarts;
    s.last_exit = d.last_exit;
    s.last_exit_at = d.last_exit_at;
    s.next_restart_at = d.next_restart_at;
    return s;
}

plugin::unload_report isolated_plugin::stop_worker() {
    if (!impl_) return {true, "not loaded"};
    auto& d = *impl_;
    worker_handle w;
    {
        std::lock_guard lock(d.m);
        if (d.stopped) return *d.stopped;
        d.stopping = true;
        d.state = "stopped";
        d.next_restart_at.reset();
        w = std::move(d.worker);
        d.worker = {};
    }
    d.cv.notify_all();
    // The supervisor may be loading a restarted worker; it ends when that worker does.
    std::string text = "no worker was running";
    if (w.pid > 0) {
        if (w.link) w.link->close();  // end of stream: the worker exits on its own
        const int status = terminate_and_reap(w.pid, std::chrono::milliseconds(d.options.limits.stop_timeout_ms));
        text = "worker pid " + std::to_string(w.pid) + " " + exit_text(status);
    }
    if (w.link) w.link->close();
    if (d.supervisor.joinable()) d.supervisor.join();
    {
        std::unique_lock lock(d.host_mutex);
        d.host = nullptr;
    }
    std::lock_guard lock(d.m);
    d.stopped = plugin::unload_report{true, text};
    return *d.stopped;
}

isolated_plugin::~isolated_plugin() { stop_worker(); }

}  // namespace berth::host::isolate
