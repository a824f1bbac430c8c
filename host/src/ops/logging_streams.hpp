// A runtime's access and event logs (config logging.access, logging.events), fed by its
// telemetry: made and attached at start, before the host serves; closed at the end of stop().
#pragma once

#include <berth/host/config.hpp>

#include <memory>

namespace spdlog {
class logger;
}

namespace berth::host::ops {

class telemetry;
class access_log;

class log_streams {
public:
    // Opens what is enabled (files created 0600). Throws files::file_error.
    explicit log_streams(const logging_config& c);
    ~log_streams();
    log_streams(const log_streams&) = delete;
    log_streams& operator=(const log_streams&) = delete;

    // Registers the observers; before `t` is read by any thread.
    void attach(telemetry& t);
    // Writes and flushes what is queued; access records after it are dropped. Idempotent.
    void close();

private:
    std::shared_ptr<access_log> access_;
    std::shared_ptr<spdlog::logger> events_;
};

}  // namespace berth::host::ops
