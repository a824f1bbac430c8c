#include "deploy/library_watcher.hpp"

#include <spdlog/spdlog.h>

#include <fcntl.h>
#include <poll.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cstring>
#include <system_error>
#include <map>
#include <optional>
#include <thread>

namespace berth::host::deploy {

namespace fs = std::filesystem;
using clock = std::chrono::steady_clock;

namespace {

struct file_state {
    bool exists = false;
    off_t size = 0;
    std::int64_t mtime_ns = 0;
    ino_t inode = 0;
    bool operator==(const file_state&) const = default;
};

file_state look(const fs::path& p) {
    struct stat st {};
    if (::stat(p.c_str(), &st) != 0) return {};
    return {true, st.st_size, static_cast<std::int64_t>(st.st_mtim.tv_sec) * 1'000'000'000 + st.st_mtim.tv_nsec,
            st.st_ino};
}

}  // namespace

struct library_watcher::impl {
    struct entry {
        watched file;
        file_state last;                              // as of the last trigger (or start)
        std::optional<clock::time_point> due;         // debounce deadline, when armed
        file_state seen_at_arm;                       // to tell a file still being written
    };
    std::vector<entry> entries;
    timing t;
    trigger on_change;
    int inotify_fd = -1;
    int stop_pipe[2] = {-1, -1};
    std::map<int, fs::path> watch_dirs;  // wd -> directory
    std::thread thread;
    std::atomic<bool> running{false};

    void arm(entry& e, clock::time_point now) {
        e.due = now + t.debounce;
        e.seen_at_arm = look(e.file.library);
    }

    void on_event(const inotify_event& ev, clock::time_point now) {
        if (ev.mask & IN_Q_OVERFLOW) {
            spdlog::warn("inotify queue overflowed; rescanning every plugin file");
            for (auto& e : entries) arm(e, now);
            return;
        }
        auto dir = watch_dirs.find(ev.wd);
        if (dir == watch_dirs.end() || ev.len == 0) return;
        const std::string name = ev.name;
        for (auto& e : entries)
            if (e.file.library.parent_path() == dir->second && e.file.library.filename() == name) arm(e, now);
    }

    void poll_scan(clock::time_point now) {
        for (auto& e : entries)
            if (!e.due && look(e.file.library) != e.last) arm(e, now);
    }

    void fire_due(clock::time_point now) {
        for (auto& e : entries) {
            if (!e.due || *e.due > now) continue;
            auto current = look(e.file.library);
            if (!current.exists) {  // removed: nothing to load; keep serving what we have
                e.due.reset();
                e.last = current;
                continue;
            }
            if (current != e.seen_at_arm) {  // still changing: look again after another debounce
                arm(e, now);
                continue;
            }
            e.due.reset();
            if (current == e.last) continue;
            e.last = current;
            spdlog::info("[{}] {} changed; reloading", e.file.module, e.file.library.string());
            on_change(e.file.module);
        }
    }

    void run() {
        auto next_poll = clock::now() + t.poll;
        while (running) {
            auto now = clock::now();
            auto wake = next_poll;
            for (auto& e : entries)
                if (e.due && *e.due < wake) wake = *e.due;
            int timeout = static_cast<int>(
                std::max<std::int64_t>(0, std::chrono::duration_cast<std::chrono::milliseconds>(wake - now).count()));
            pollfd fds[2] = {{stop_pipe[0], POLLIN, 0}, {inotify_fd, POLLIN, 0}};
            int n = ::poll(fds, inotify_fd >= 0 ? 2 : 1, timeout);
            if (!running) break;
            now = clock::now();
            if (n > 0 && inotify_fd >= 0 && (fds[1].revents & POLLIN)) {
                alignas(inotify_event) char buf[16 * 1024];
                ssize_t len;
                while ((len = ::read(inotify_fd, buf, sizeof buf)) > 0) {
                    for (char* p = buf; p < buf + len;) {
                        auto* ev = reinterpret_cast<inotify_event*>(p);
                        on_event(*ev, now);
                        p += sizeof(inotify_event) + ev->len;
                    }
                }
            }
            if (now >= next_poll) {
                poll_scan(now);
                next_poll = now + t.poll;
            }
            fire_due(now);
        }
    }
};

library_watcher::library_watcher(std::vector<watched> files, timing t, trigger on_change)
    : impl_(std::make_unique<impl>()) {
    impl_->t = t;
    impl_->on_change = std::move(on_change);
    for (auto& f : files) impl_->entries.push_back({f, look(f.library), std::nullopt, {}});
}

library_watcher::~library_watcher() { stop(); }


void library_watcher::start() {
    if (impl_->running || impl_->entries.empty()) return;
    if (::pipe2(impl_->stop_pipe, O_CLOEXEC | O_NONBLOCK) != 0) throw std::system_error(errno, std::generic_category(), "pipe2");
    impl_->inotify_fd = ::inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
    if (impl_->inotify_fd < 0) {
        spdlog::warn("inotify unavailable ({}); watching plugin files by polling only", std::strerror(errno));
    } else {
        std::map<fs::path, int> by_dir;
        for (auto& e : impl_->entries) {
            auto dir = e.file.library.parent_path();
            if (by_dir.count(dir)) continue;
            int wd = ::inotify_add_watch(impl_->inotify_fd, dir.c_str(), IN_CLOSE_WRITE | IN_MOVED_TO);
            if (wd < 0) {
                spdlog::warn("cannot watch {} ({}); polling it", dir.string(), std::strerror(errno));
                continue;
            }
            by_dir[dir] = wd;
            impl_->watch_dirs[wd] = dir;
        }
    }
    impl_->running = true;
    impl_->thread = std::thread([this] { impl_->run(); });
}

void library_watcher::stop() {
    if (!impl_->running.exchange(false)) return;
    char c = 1;
    [[maybe_unused]] auto w = ::write(impl_->stop_pipe[1], &c, 1);
    impl_->thread.join();
    for (int fd : {impl_->inotify_fd, impl_->stop_pipe[0], impl_->stop_pipe[1]})
        if (fd >= 0) ::close(fd);
    impl_->inotify_fd = impl_->stop_pipe[0] = impl_->stop_pipe[1] = -1;
}

}  // namespace berth::host::deploy
