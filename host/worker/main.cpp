// berth-worker: runs one generation of one module's plugin for berthd (isolation "process").
// berthd starts it with the channel on fd 3 and the library image on fd 4 (isolate/protocol.hpp);
// this thread reads the channel and answers pings itself; after load it never runs plugin code
// (dlopen runs the plugin's static initialisers here, once), so replies always get read.
#include "channel.hpp"
#include "job_queue.hpp"
#include "plugin_host.hpp"
#include "isolate/fields.hpp"
#include "isolate/frame.hpp"
#include "isolate/protocol.hpp"

#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <exception>
#include <optional>
#include <string>

namespace {

namespace msg = berth::host::isolate::msg;
using berth::host::isolate::on_bad;
using berth::worker::channel;

constexpr int channel_fd = 3;
// The host sends at most max_in_flight requests; room for more is slack.
constexpr std::size_t lifecycle_capacity = 16;
constexpr std::size_t spare_jobs = 64;

int usage(const char* why) {
    std::fprintf(stderr, "berth-worker: %s\nusage: berth-worker --module NAME (started by berthd, not by hand)\n", why);
    return 2;
}

bool is_lifecycle(const std::string& t) {
    return t == msg::create || t == msg::describe || t == msg::start || t == msg::ready || t == msg::stop ||
           t == msg::destroy;
}

[[noreturn]] void serve(channel& ch) {
    berth::worker::plugin_host plugin(ch);
    berth::worker::job_queue lifecycle(lifecycle_capacity);
    lifecycle.run(1);
    berth::worker::job_queue* handlers = nullptr;  // made at load, when the thread count is known
    for (;;) {
        std::optional<nlohmann::json> m;
        try {
            m = berth::host::isolate::read_frame(ch.fd());
        } catch (...) {
            _exit(0);  // a broken channel: the host cannot be talking to us any more
        }
        if (!m) _exit(0);  // end of stream: the host closed our channel or died; no destructors run
        std::string t;
        std::int64_t id = 0;
        try {
            t = berth::host::isolate::text_field(*m, "t", on_bad::strict);
            id = berth::host::isolate::int_field(*m, "id", 0, on_bad::strict);
        } catch (const std::exception& e) {
            ch.send({{"t", msg::log}, {"level", BERTH_LOG_ERROR}, {"message", std::string("worker: a message it cannot read: ") + e.what()}});
            continue;
        }
        if (t == msg::reply) {
            ch.resolve(*m);
        } else if (t == msg::load) {
            plugin.load(id, *m, [&handlers](unsigned threads) -> std::optional<std::string> {
                auto* pool = new berth::worker::job_queue(threads + spare_jobs);  // lives until _exit
                try {
                    pool->run(threads);
                } catch (const std::exception& e) {
                    return "could not start " + std::to_string(threads) + " handler threads: " + e.what();
                }
                handlers = pool;
                return std::nullopt;
            });
        } else if (is_lifecycle(t)) {
            auto job = [&plugin, id, t, message = std::move(*m)] { plugin.lifecycle(id, t, message); };
            if (!lifecycle.push(std::move(job))) ch.reply_error(id, "the worker's lifecycle queue is full");
        } else if (t == msg::handle) {
            if (!handlers) {
                ch.reply_error(id, "no plugin is loaded in this worker");
            } else if (!handlers->push([&plugin, id, message = std::move(*m)] { plugin.handle(id, message); })) {
                ch.reply_error(id, "the worker's request queue is full");
            }
        } else if (t == msg::ping) {
            // Here, at once: the heartbeat says the process lives (not stopped, not wedged);
            // slow handlers are the request deadline's business, not the heartbeat's.
            ch.reply_ok(id);
        } else {
            ch.reply_error(id, "unknown message type \"" + t.substr(0, 32) + "\"");
        }
    }
}

}  // namespace

int main(int argc, char** argv) {
    std::string module;
    for (int i = 1; i < argc; ++i) {
        if (std::strcmp(argv[i], "--module") == 0 && i + 1 < argc) module = argv[++i];
        else return usage((std::string("unknown argument ") + argv[i]).c_str());
    }
    struct stat st {};
    if (fstat(channel_fd, &st) != 0 || !S_ISSOCK(st.st_mode))
        return usage("fd 3 is not the channel socket: this program is started by berthd for a module with \"isolation\": \"process\"");
    if (module.empty()) return usage("no --module");
    // berthd spawns it with fds 5 and up closed; closed here too, so no stray host descriptor
    // ever reaches plugin code, however the worker was started.
    closefrom(5);
    // Children the plugin may start do not get the channel.
    fcntl(channel_fd, F_SETFD, FD_CLOEXEC);
    // A plugin's write to a closed pipe or socket is an error it sees, not the worker's end.
    signal(SIGPIPE, SIG_IGN);
    channel ch(channel_fd);
    serve(ch);
}
