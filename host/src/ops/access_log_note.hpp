// What the access log (and the request metrics) learn of one request on a module port while it
// is served: made when it arrives, completed on the handler thread once a route took it, and
// handed to the telemetry as a request_record when the request is answered.
#pragma once

#include "http/message.hpp"

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>

namespace berth::host::ops {

class telemetry;

class access_note {
public:
    explicit access_note(const http::request& r);

    // Handler thread: the generation that served it and the route template that took it (none:
    // "unmatched"). Locked: a drain cut-off may answer while the handler still runs.
    void served(std::uint64_t generation, std::string_view route, int major);
    // Answered by the host itself (/healthz, /openapi.json, /docs, preflights): route "host".
    void by_host();

private:
    friend std::function<void(http::response)> observed(telemetry&, std::string_view, std::shared_ptr<access_note>,
                                                        std::function<void(http::response)>);
    const std::chrono::system_clock::time_point start_;
    const std::chrono::steady_clock::time_point began_;
    const std::string request_id_, method_, peer_;
    const std::size_t bytes_in_;
    std::mutex mutex_;  // guards what follows
    std::string route_ = "unmatched";
    std::uint64_t generation_ = 0;
    int major_ = 0;
};

// `done`, wrapped to hand `t` one request_record when the request is answered.
std::function<void(http::response)> observed(telemetry& t, std::string_view module, std::shared_ptr<access_note> note,
                                             std::function<void(http::response)> done);

}  // namespace berth::host::ops
