#include "http/request_id.hpp"

#include <sodium.h>

#include <atomic>
#include <cctype>
#include <cstdint>
#include <cstdio>

namespace berth::host::http {

std::string request_id_for(std::string_view given) {
    bool plain = !given.empty() && given.size() <= 128;
    for (char c : given)
        if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.' || c == ':')) plain = false;
    if (plain) return std::string(given);
    // A per-process random prefix and a counter: no syscall per request.
    static const std::uint64_t prefix = [] {
        std::uint64_t p = 0;
        randombytes_buf(&p, sizeof p);
        return p;
    }();
    static std::atomic<std::uint64_t> counter{0};
    char id[25];
    std::snprintf(id, sizeof id, "%08x%016llx", static_cast<unsigned>(prefix >> 32),
                  static_cast<unsigned long long>(counter.fetch_add(1, std::memory_order_relaxed) + (prefix & 0xffffffff)));
    return std::string(id, 24);
}

}  // namespace berth::host::http
