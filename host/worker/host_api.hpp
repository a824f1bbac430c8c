// The berth_host_api a plugin gets in the worker: each service is a message to berthd
// (isolate/protocol.hpp), which runs it through the generation's own host services, so the
// checks are the in-process ones. log and lease are one-way; token and call wait for a reply.
#pragma once

#include "channel.hpp"

#include <berth/abi.h>

#include <cstdint>

namespace berth::worker {

// The id of the host's handle request this thread is running (0 on the plugin's own threads):
// the `for` of a token or call, so the host serves it on the thread that waits for that request.
class serving_request {
public:
    explicit serving_request(std::int64_t id);
    ~serving_request();
    serving_request(const serving_request&) = delete;
    serving_request& operator=(const serving_request&) = delete;
    static std::int64_t current();

private:
    std::int64_t previous_;
};

// ctx is the channel, which outlives the plugin (the worker never frees it).
berth_host_api host_api(channel* ch);

}  // namespace berth::worker
