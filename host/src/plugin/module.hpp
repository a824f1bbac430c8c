// A module: one configured plugin name, its listener's service, and the generation that
// currently serves it. Requests snapshot the active generation when they are dispatched.
#pragma once

#include <berth/host/config.hpp>

#include "net/http_service.hpp"
#include "plugin/generation.hpp"

#include <nlohmann/json_fwd.hpp>

#include <atomic>
#include <memory>
#include <mutex>
#include <optional>

namespace berth::host::exec {
class worker_pool;
}

namespace berth::host::plugin {

enum class module_state { loading, serving, failed, stopped };
const char* to_string(module_state s);

class module : public net::http_service, public std::enable_shared_from_this<module> {
public:
    module(plugin_config config, std::filesystem::path data_dir, exec::worker_pool& workers);
    ~module() override;

    // Loads config().library into a new generation and publishes it (management thread).
    // On failure the current generation, if any, keeps serving; the failure is recorded.
    std::optional<load_failure> load();

    // Unpublishes and shuts down the active generation, unloads its library and reports
    // whether it really left memory. Call when no request is in flight (after the server stops).
    std::optional<unload_report> unload();

    // net::http_service: runs the request on a worker thread.
    void handle(http::request request, completion done) override;

    // The listener's bound address, recorded by the runtime.
    void set_endpoint(std::string address, std::uint16_t port);
    void set_failure(load_failure f);  // e.g. the port could not be bound

    const plugin_config& config() const { return config_; }
    nlohmann::json status() const;
    std::uint16_t port() const;
    module_state state() const;

private:
    http::response serve(const http::request& request, const std::string& request_id);

    plugin_config config_;
    std::filesystem::path data_dir_;
    exec::worker_pool& workers_;
    // The generation new requests go to; swapped with one atomic store.
    std::atomic<std::shared_ptr<generation>> active_;
    mutable std::mutex mutex_;  // guards what follows
    module_state state_ = module_state::loading;
    std::optional<load_failure> last_error_;
    std::uint64_t generations_ = 0;
    std::string address_;
    std::uint16_t port_ = 0;
};

}  // namespace berth::host::plugin
