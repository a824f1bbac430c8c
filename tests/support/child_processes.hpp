// Processes seen through /proc, for the process isolation tests: the children of a process
// (a host's worker processes), and whether one still exists.
#pragma once

#include <sys/types.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

namespace berth::test {

struct process_entry {
    pid_t pid = 0;
    pid_t ppid = 0;
    char state = '?';     // R, S, D, Z (exited, not yet reaped), ...
    std::string cmdline;  // arguments joined by spaces; empty for a zombie
};

// One process as /proc/<pid>/stat and cmdline say; pid 0 when it does not exist (any more).
inline process_entry process_info(pid_t pid) {
    process_entry e;
    std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
    std::string line;
    if (!std::getline(stat, line)) return e;
    // "pid (comm) state ppid ...": comm may hold spaces and parentheses, so read after the last ')'.
    auto close = line.rfind(')');
    if (close == std::string::npos) return e;
    std::istringstream rest(line.substr(close + 1));
    long ppid = 0;
    rest >> e.state >> ppid;
    e.ppid = static_cast<pid_t>(ppid);
    std::ifstream cmd("/proc/" + std::to_string(pid) + "/cmdline", std::ios::binary);
    std::string args((std::istreambuf_iterator<char>(cmd)), std::istreambuf_iterator<char>());
    for (auto& c : args)
        if (c == '\0') c = ' ';
    while (!args.empty() && args.back() == ' ') args.pop_back();
    e.cmdline = std::move(args);
    e.pid = pid;
    return e;
}

// Every process whose parent is `parent`, zombies included.
inline std::vector<process_entry> children_of(pid_t parent) {
    std::vector<process_entry> found;
    std::error_code ec;
    for (auto& entry : std::filesystem::directory_iterator("/proc", ec)) {
        const auto name = entry.path().filename().string();
        if (name.empty() || name.find_first_not_of("0123456789") != std::string::npos) continue;
        auto e = process_info(static_cast<pid_t>(std::stol(name)));
        if (e.pid != 0 && e.ppid == parent) found.push_back(std::move(e));
    }
    return found;
}

// "pid 123 (S): /path/berth-worker ..." per process, for failure messages.
inline std::string describe(const std::vector<process_entry>& ps) {
    std::string s;
    for (auto& p : ps) s += "pid " + std::to_string(p.pid) + " (" + p.state + "): " + p.cmdline + "\n";
    return s.empty() ? "none\n" : s;
}

}  // namespace berth::test
