// The service manager's readiness protocol (sd_notify) as berthd uses it. Without
// NOTIFY_SOCKET in the environment (not started by systemd) every call does nothing.
#pragma once

#include <string>

namespace berth::daemon {

// READY=1 with a STATUS= line: every module's start() returned (the admin API and each
// module's port are bound; a module whose plugin failed serves 503 and is named in the status).
void notify_ready(const std::string& status);
// RELOADING=1 with MONOTONIC_USEC= (systemd 253 needs it to time the reload), then READY=1 after.
void notify_reloading();
void notify_stopping();

}  // namespace berth::daemon
