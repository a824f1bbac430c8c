// The worker as a process: the sealed image it maps, its spawn with exactly fds 0-4, and its
// end (SIGTERM or SIGKILL, always reaped) told as operator text.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <filesystem>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

namespace berth::host::isolate {

// A file descriptor closed when it goes.
class unique_fd {
public:
    unique_fd() = default;
    explicit unique_fd(int fd) : fd_(fd) {}
    ~unique_fd() { reset(); }
    unique_fd(unique_fd&& o) noexcept : fd_(std::exchange(o.fd_, -1)) {}
    unique_fd& operator=(unique_fd&& o) noexcept {
        if (this != &o) {
            reset();
            fd_ = std::exchange(o.fd_, -1);
        }
        return *this;
    }
    unique_fd(const unique_fd&) = delete;
    unique_fd& operator=(const unique_fd&) = delete;
    int get() const { return fd_; }
    explicit operator bool() const { return fd_ >= 0; }
    void reset(int fd = -1);

private:
    int fd_ = -1;
};

// A memfd holding `bytes`, sealed against any change (shrink, grow, write, more seals): what
// the worker maps is exactly what the host hashed. The error text on failure.
std::variant<unique_fd, std::string> sealed_image(std::string_view bytes);

struct spawned {
    pid_t pid = 0;
    unique_fd channel;  // the host's end of the socketpair; the worker has the other as fd 3
};

// Starts `executable --module <module>` with fd 0 = /dev/null, fd 3 = its end of a new socketpair,
// fd 4 = `image`, every other fd above 2 closed, default signal mask and dispositions, in a
// session (and process group) of its own, and an environment of worker_environment() only.
std::variant<spawned, std::string> spawn_worker(const std::filesystem::path& executable, const std::string& module,
                                                int image);

// What of berthd's environment a worker gets (berthd's may hold secrets): PATH, LANG, LC_*, TZ and
// the sanitizers' *SAN_OPTIONS, as NAME=value.
std::vector<std::string> worker_environment(char** from);

// SIGKILL to the worker's process group (a plugin's children die with it) and wait: returns the
// wait status. Always reaps. Never call it for a pid already reaped.
int kill_and_reap(pid_t pid);

// SIGKILL to the worker's process group, not reaped: for a pid not yet reaped.
void kill_group(pid_t pid);

// Whether the worker has exited (a zombie not yet reaped): leaves it for kill_and_reap.
bool has_exited(pid_t pid);
// Whether it exits within `limit` (not reaped either).
bool exits_within(pid_t pid, std::chrono::milliseconds limit);

// For a worker whose channel was closed: SIGTERM at once, up to `limit` to exit, then SIGKILL to
// its process group; always reaps. Returns the wait status.
int terminate_and_reap(pid_t pid, std::chrono::milliseconds limit);

// "exited with status N", "killed by signal 11 (SIGSEGV)".
std::string exit_text(int wait_status);

// Whether a wait status is a signal's (metrics: reason "signal") or an exit ("exit").
bool killed_by_signal(int wait_status);

}  // namespace berth::host::isolate
