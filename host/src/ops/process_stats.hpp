// The host process as the kernel sees it (/proc/self): resident memory, open descriptors and
// threads. Read at scrape time; zero for what cannot be read.
#pragma once

#include <cstdint>

namespace berth::host::ops {

struct process_stats {
    std::uint64_t resident_bytes = 0;
    std::uint64_t open_descriptors = 0;
    std::uint64_t threads = 0;
};

process_stats read_process_stats();

}  // namespace berth::host::ops
