#include "service_notify.hpp"

#include <time.h>

#include <spdlog/spdlog.h>

#if BERTH_HAVE_SYSTEMD
#include <systemd/sd-daemon.h>
#endif

namespace berth::daemon {

namespace {

void send(const std::string& state) {
#if BERTH_HAVE_SYSTEMD
    // Returns 0 without NOTIFY_SOCKET; a negative errno when the socket refuses the datagram.
    if (int rc = sd_notify(0, state.c_str()); rc < 0) spdlog::warn("sd_notify failed: error {}", -rc);
#else
    (void)state;
#endif
}

// A STATUS= value is one line.
std::string one_line(std::string s) {
    for (auto& c : s)
        if (c == '\n' || c == '\r') c = ' ';
    return s;
}

}  // namespace

void notify_ready(const std::string& status) { send("READY=1\nSTATUS=" + one_line(status)); }

void notify_reloading() {
    timespec now{};
    clock_gettime(CLOCK_MONOTONIC, &now);
    const auto usec = static_cast<unsigned long long>(now.tv_sec) * 1'000'000ull +
                      static_cast<unsigned long long>(now.tv_nsec) / 1000ull;
    send("RELOADING=1\nSTATUS=reloading the configuration\nMONOTONIC_USEC=" + std::to_string(usec));
}

void notify_stopping() { send("STOPPING=1\nSTATUS=stopping: draining in-flight requests"); }

}  // namespace berth::daemon
