// A generation: one started instance of one plugin library, with the contract its manifest
// declared compiled into a route table and validators. Requests are dispatched to a
// generation; it is stopped and destroyed before its library is unloaded.
#pragma once

#include <berth/host/config.hpp>

#include "http/message.hpp"
#include "plugin/plugin_library.hpp"

#include <nlohmann/json.hpp>

#include <atomic>
#include <chrono>
#include <memory>
#include <string>
#include <variant>

namespace berth::host::plugin {

class generation {
public:
    // Creates, describes, starts and readies an instance (steps create, describe, start, ready).
    // On failure the instance is stopped/destroyed again and the library is left to the caller.
    static std::variant<std::shared_ptr<generation>, load_failure> start(std::shared_ptr<plugin_library> library,
                                                                       const plugin_config& config,
                                                                       const std::filesystem::path& data_dir,
                                                                       std::uint64_t number);
    ~generation();

    // Serves one request (worker thread): target parsing, routing (404/405), query and body
    // contract checks (400 with errors), then the plugin's handler (500 if it fails).
    http::response dispatch(const http::request& request, const std::string& request_id);

    // stop() then destroy(); idempotent. Call with no request in flight.
    void shutdown();

    const std::string& name() const { return name_; }
    const std::string& version() const { return version_; }
    std::uint64_t number() const { return number_; }
    std::chrono::system_clock::time_point loaded_at() const { return loaded_at_; }
    const std::shared_ptr<plugin_library>& library() const { return library_; }
    const nlohmann::json& manifest() const { return manifest_; }

    // Requests currently inside dispatch().
    std::atomic<std::size_t> in_flight{0};

    struct route_contract;  // per-route checks, built from the manifest

private:
    generation() = default;
    std::shared_ptr<plugin_library> library_;
    const berth_plugin_descriptor* d_ = nullptr;
    void* instance_ = nullptr;
    bool started_ = false;
    std::string module_, name_, version_;
    std::uint64_t number_ = 0;
    std::chrono::system_clock::time_point loaded_at_;
    nlohmann::json manifest_;
    struct routing;
    std::unique_ptr<routing> routing_;
    // The host services table handed to the plugin; lives as long as the instance.
    berth_host_api host_api_{};
};

}  // namespace berth::host::plugin
