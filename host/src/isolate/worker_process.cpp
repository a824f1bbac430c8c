#include "isolate/worker_process.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <thread>

extern char** environ;

namespace berth::host::isolate {

void unique_fd::reset(int fd) {
    if (fd_ >= 0) ::close(fd_);
    fd_ = fd;
}

namespace {

std::string errno_text(const char* what) { return std::string(what) + ": " + std::strerror(errno); }

// A copy at 5 or above: the spawn's dup2 to 3 and 4 must not overwrite one source with the other.
int above_four(int fd) { return ::fcntl(fd, F_DUPFD_CLOEXEC, 5); }

}  // namespace

std::variant<unique_fd, std::string> sealed_image(std::string_view bytes) {
    unique_fd fd(::memfd_create("berth-plugin", MFD_CLOEXEC | MFD_ALLOW_SEALING));
    if (!fd) return errno_text("memfd_create");
    const char* p = bytes.data();
    std::size_t left = bytes.size();
    while (left > 0) {
        const ssize_t n = ::write(fd.get(), p, left);
        if (n < 0) {
            if (errno == EINTR) continue;
            return errno_text("writing the library image");
        }
        p += n;
        left -= static_cast<std::size_t>(n);
    }
    if (::fcntl(fd.get(), F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE | F_SEAL_SEAL) != 0)
        return errno_text("sealing the library image");
    return fd;
}

std::variant<spawned, std::string> spawn_worker(const std::filesystem::path& executable, const std::string& module,
                                                int image) {
    int pair[2];
    if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, pair) != 0) return errno_text("socketpair");
    unique_fd host_end(pair[0]), raw_worker_end(pair[1]);
    unique_fd worker_end(above_four(raw_worker_end.get())), image_copy(above_four(image));
    raw_worker_end.reset();
    if (!worker_end || !image_copy) return errno_text("fcntl(F_DUPFD_CLOEXEC)");

    posix_spawn_file_actions_t actions;
    posix_spawnattr_t attr;
    ::posix_spawn_file_actions_init(&actions);
    ::posix_spawnattr_init(&attr);
    // Nothing to read from berthd's terminal or input; stdout and stderr stay berthd's (docs).
    ::posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
    ::posix_spawn_file_actions_adddup2(&actions, worker_end.get(), 3);
    ::posix_spawn_file_actions_adddup2(&actions, image_copy.get(), 4);
    // Asio's descriptors are not close-on-exec: nothing of berthd but 0-4 reaches the worker.
    ::posix_spawn_file_actions_addclosefrom_np(&actions, 5);
    sigset_t none, defaults;
    sigemptyset(&none);
    sigemptyset(&defaults);
    for (int s : {SIGPIPE, SIGTERM, SIGINT, SIGHUP, SIGQUIT, SIGCHLD, SIGUSR1, SIGUSR2}) sigaddset(&defaults, s);
    // berthd blocks its signals for its signal thread: the worker must feel SIGTERM.
    ::posix_spawnattr_setsigmask(&attr, &none);
    ::posix_spawnattr_setsigdefault(&attr, &defaults);
    // A session of its own (so a group of its own, led by it): no controlling terminal to inject
    // input into (TIOCSTI) and a terminal's Ctrl-C goes to berthd, which stops workers itself.
    ::posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSID);

    std::string path = executable.string();
    std::string flag = "--module", name = module;
    char* argv[] = {path.data(), flag.data(), name.data(), nullptr};
    auto env = worker_environment(environ);
    std::vector<char*> envp;
    for (auto& e : env) envp.push_back(e.data());
    envp.push_back(nullptr);
    pid_t pid = 0;
    const int rc = ::posix_spawn(&pid, path.c_str(), &actions, &attr, argv, envp.data());
    ::posix_spawn_file_actions_destroy(&actions);
    ::posix_spawnattr_destroy(&attr);
    if (rc != 0) return "cannot start " + path + ": " + std::strerror(rc);
    return spawned{pid, std::move(host_end)};
}

namespace {

int reap(pid_t pid) {
    int status = 0;
    while (::waitpid(pid, &status, 0) < 0) {
        if (errno != EINTR) return 0;
    }
    return status;
}

// True once `pid` has exited (not reaped) or `limit` passed.
bool wait_exit(pid_t pid, std::chrono::milliseconds limit) {
    const int pidfd = static_cast<int>(::syscall(SYS_pidfd_open, pid, 0));
    if (pidfd >= 0) {
        pollfd p{pidfd, POLLIN, 0};
        int n;
        const auto until = std::chrono::steady_clock::now() + limit;
        do {
            const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(until - std::chrono::steady_clock::now());
            n = ::poll(&p, 1, static_cast<int>(std::max<long long>(0, left.count())));
        } while (n < 0 && errno == EINTR);
        ::close(pidfd);
        return n > 0;
    }
    // No pidfd (an old kernel): look every 10 ms.
    const auto until = std::chrono::steady_clock::now() + limit;
    siginfo_t info{};
    while (std::chrono::steady_clock::now() < until) {
        info.si_pid = 0;
        if (::waitid(P_PID, static_cast<id_t>(pid), &info, WEXITED | WNOHANG | WNOWAIT) == 0 && info.si_pid == pid)
            return true;
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return false;
}

}  // namespace

std::vector<std::string> worker_environment(char** from) {
    std::vector<std::string> out;
    for (char** e = from; e && *e; ++e) {
        const std::string_view entry(*e);
        const auto name = entry.substr(0, entry.find('='));
        const bool kept = name == "PATH" || name == "LANG" || name == "TZ" || name.rfind("LC_", 0) == 0 ||
                          name == "ASAN_OPTIONS" || name == "UBSAN_OPTIONS" || name == "LSAN_OPTIONS" ||
                          name == "TSAN_OPTIONS";
        if (kept && name.size() < entry.size()) out.emplace_back(entry);
    }
    return out;
}

void kill_group(pid_t pid) {
    if (pid <= 0) return;
    ::kill(-pid, SIGKILL);  // the worker leads its own group (spawn_worker)
    ::kill(pid, SIGKILL);   // in case it left the group
}

bool has_exited(pid_t pid) {
    if (pid <= 0) return false;
    siginfo_t info{};
    return ::waitid(P_PID, static_cast<id_t>(pid), &info, WEXITED | WNOHANG | WNOWAIT) == 0 && info.si_pid == pid;
}

bool exits_within(pid_t pid, std::chrono::milliseconds limit) { return pid > 0 && wait_exit(pid, limit); }

int kill_and_reap(pid_t pid) {
    if (pid <= 0) return 0;
    kill_group(pid);
    return reap(pid);
}

int terminate_and_reap(pid_t pid, std::chrono::milliseconds limit) {
    if (pid <= 0) return 0;
    ::kill(pid, SIGTERM);
    if (!wait_exit(pid, limit)) kill_group(pid);
    else ::kill(-pid, SIGKILL);  // the worker is a zombie, not reaped: its group may still hold its children
    return reap(pid);
}

std::string exit_text(int status) {
    if (WIFEXITED(status)) return "exited with status " + std::to_string(WEXITSTATUS(status));
    if (WIFSIGNALED(status)) {
        const int sig = WTERMSIG(status);
        const char* abbrev = ::sigabbrev_np(sig);
        return "killed by signal " + std::to_string(sig) + (abbrev ? std::string(" (SIG") + abbrev + ")" : "");
    }
    return "ended with wait status " + std::to_string(status);
}

bool killed_by_signal(int status) { return WIFSIGNALED(status); }

}  // namespace berth::host::isolate
