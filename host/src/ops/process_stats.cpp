#include "ops/process_stats.hpp"

#include <dirent.h>
#include <unistd.h>

#include <fstream>
#include <string>

namespace berth::host::ops {

namespace {

// /proc/self/fd's entries, less ".", ".." and the descriptor reading it.
std::uint64_t count_descriptors() {
    DIR* d = ::opendir("/proc/self/fd");
    if (!d) return 0;
    std::uint64_t n = 0;
    while (auto* e = ::readdir(d))
        if (e->d_name[0] != '.') ++n;
    ::closedir(d);
    return n > 0 ? n - 1 : 0;
}

}  // namespace

process_stats read_process_stats() {
    process_stats s;
    // statm: size resident shared ... in pages.
    if (std::ifstream statm("/proc/self/statm"); statm) {
        std::uint64_t size = 0, resident = 0;
        if (statm >> size >> resident) s.resident_bytes = resident * static_cast<std::uint64_t>(::sysconf(_SC_PAGESIZE));
    }
    if (std::ifstream status("/proc/self/status"); status) {
        std::string line;
        while (std::getline(status, line))
            if (line.rfind("Threads:", 0) == 0) {
                s.threads = std::stoull(line.substr(8));
                break;
            }
    }
    s.open_descriptors = count_descriptors();
    return s;
}

}  // namespace berth::host::ops
