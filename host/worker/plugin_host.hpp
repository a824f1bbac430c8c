// The plugin inside the worker: loads it from fd 4 under the worker's limits, and runs its
// entry points for the host's messages (isolate/protocol.hpp), answering each one.
#pragma once

#include "channel.hpp"

#include <berth/abi.h>

#include <nlohmann/json.hpp>

#include <atomic>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>

namespace berth::worker {

class plugin_host {
public:
    explicit plugin_host(channel& ch);
    plugin_host(const plugin_host&) = delete;
    plugin_host& operator=(const plugin_host&) = delete;

    // `load`, on the reading thread before any plugin code exists. `start_threads(n)` starts the
    // handler pool before the load is answered, and says why it could not.
    using thread_starter = std::function<std::optional<std::string>(unsigned)>;
    bool load(std::int64_t id, const nlohmann::json& m, const thread_starter& start_threads);
    // create .. destroy, one at a time on the lifecycle thread.
    void lifecycle(std::int64_t id, const std::string& type, const nlohmann::json& m);
    // `handle`, on a handler thread.
    void handle(std::int64_t id, const nlohmann::json& m);

private:
    void create(std::int64_t id, const nlohmann::json& m);

    channel& channel_;
    berth_host_api api_;
    const berth_plugin_descriptor* descriptor_ = nullptr;
    std::atomic<void*> instance_{nullptr};
    bool created_ = false;  // lifecycle thread only: create runs once per worker
    std::string module_, data_dir_;
};

}  // namespace berth::worker
