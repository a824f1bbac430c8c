#include "limits.hpp"

#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <vector>

#if defined(__SANITIZE_ADDRESS__)
#define BERTH_WORKER_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define BERTH_WORKER_ASAN 1
#endif
#endif

namespace berth::worker {

namespace {

std::optional<std::string> set_limit(int resource, rlim_t value, const char* name) {
    rlimit l{value, value};
    if (setrlimit(resource, &l) == 0) return std::nullopt;
    // Unprivileged: the hard limit may be below what was asked; take what is allowed.
    rlimit now{};
    if (getrlimit(resource, &now) == 0 && now.rlim_max != RLIM_INFINITY && now.rlim_max < value) {
        l = {now.rlim_max, now.rlim_max};
        if (setrlimit(resource, &l) == 0) return std::nullopt;
    }
    return std::string("setrlimit(") + name + ", " + std::to_string(value) + "): " + std::strerror(errno);
}

std::optional<std::string> become(const std::string& user) {
    if (geteuid() != 0) return "user \"" + user + "\" needs berthd to run as root";
    errno = 0;
    std::vector<char> buffer(16384);
    passwd entry{};
    passwd* found = nullptr;
    if (getpwnam_r(user.c_str(), &entry, buffer.data(), buffer.size(), &found) != 0 || !found)
        return "user \"" + user + "\" does not exist";
    const uid_t uid = found->pw_uid;
    const gid_t gid = found->pw_gid;
    if (setgroups(0, nullptr) != 0) return std::string("setgroups: ") + std::strerror(errno);
    if (setgid(gid) != 0) return std::string("setgid: ") + std::strerror(errno);
    if (setuid(uid) != 0) return std::string("setuid: ") + std::strerror(errno);
    // Verified, not trusted: every id is the user's, and root cannot be taken back.
    if (getuid() != uid || geteuid() != uid || getgid() != gid || getegid() != gid)
        return "user \"" + user + "\": the process ids did not change";
    if (uid != 0 && setuid(0) == 0) return "user \"" + user + "\": root could be taken back";
    return std::nullopt;
}

std::optional<std::string> prefer_for_oom() {
    const int fd = open("/proc/self/oom_score_adj", O_WRONLY | O_CLOEXEC);
    if (fd < 0) return std::string("/proc/self/oom_score_adj: ") + std::strerror(errno);
    const bool ok = write(fd, "1000", 4) == 4;
    const int saved = errno;
    close(fd);
    if (!ok) return std::string("writing /proc/self/oom_score_adj: ") + std::strerror(saved);
    return std::nullopt;
}

}  // namespace

std::optional<std::string> apply_limits(const worker_limits& limits, std::vector<std::string>& notes) {
    // A core file would hold the module's secrets (keys, tokens, rows).
    if (auto why = set_limit(RLIMIT_CORE, 0, "RLIMIT_CORE")) return why;
    // When memory runs out, the kernel's OOM killer takes a worker before berthd (raising it needs
    // no privilege). Not a limit: cgroups are (docs/security.md).
    if (auto why = prefer_for_oom()) return why;
    if (limits.max_open_files > 0)
        if (auto why = set_limit(RLIMIT_NOFILE, limits.max_open_files, "RLIMIT_NOFILE")) return why;
    if (limits.memory_limit_mb > 0) {
#ifdef BERTH_WORKER_ASAN
        // AddressSanitizer reserves terabytes of address space: any RLIMIT_AS would stop it.
        notes.push_back("memory_limit_mb " + std::to_string(limits.memory_limit_mb) +
                        " is not applied: this build uses AddressSanitizer");
#else
        (void)notes;
        if (limits.memory_limit_mb > (RLIM_INFINITY >> 20)) return std::string("memory_limit_mb is out of range");
        if (auto why = set_limit(RLIMIT_AS, static_cast<rlim_t>(limits.memory_limit_mb) << 20, "RLIMIT_AS")) return why;
#endif
    }
    if (!limits.user.empty())
        if (auto why = become(limits.user)) return why;
    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) return std::string("PR_SET_NO_NEW_PRIVS: ") + std::strerror(errno);
    // Shown by ps and top: 15 bytes at most.
    const std::string name = ("berth:" + limits.module).substr(0, 15);
    prctl(PR_SET_NAME, name.c_str(), 0, 0, 0);
    return std::nullopt;
}

}  // namespace berth::worker
