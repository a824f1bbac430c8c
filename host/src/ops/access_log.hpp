// The access log: one JSON line per answered request on a module port, and per in-process
// call between modules (time, request id, module, generation, major, method, route template,
// status, duration, bytes in and out, peer). A handler thread only copies the record into a bounded queue; the log's own thread
// formats and writes. Past `max_queued` unwritten lines, lines are dropped and counted (a
// line says how many), never waited for: the log never slows the requests it describes.
#pragma once

#include <berth/host/config.hpp>

#include "ops/telemetry.hpp"

#include <spdlog/logger.h>

#include <condition_variable>
#include <cstddef>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace berth::host::ops {

class access_log {
public:
    static constexpr std::size_t max_queued = 65536;

    // Opens the destination (a file: created 0600) and starts the thread. Throws files::file_error.
    access_log(const log_stream_config& c, const std::string& format);
    ~access_log();  // close()
    access_log(const access_log&) = delete;
    access_log& operator=(const access_log&) = delete;

    // Any thread.
    void record(const request_record& r);
    // Writes every queued line, flushes and joins the thread; later records are dropped. Idempotent.
    void close();

private:
    struct entry {
        std::chrono::system_clock::time_point start;
        std::chrono::nanoseconds duration{};
        std::string request_id, module, method, route, peer;
        std::uint64_t generation = 0;
        int major = 0, status = 0;
        std::size_t bytes_in = 0, bytes_out = 0;
    };
    void run();
    void write(const entry& e);

    std::shared_ptr<spdlog::logger> logger_;
    std::mutex mutex_;  // guards what follows
    std::condition_variable wake_;
    std::vector<entry> queued_;
    std::size_t dropped_ = 0;
    bool closing_ = false;
    std::thread thread_;  // last: started when everything above exists
};

}  // namespace berth::host::ops
