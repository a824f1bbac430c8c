// A module: one configured plugin name, its listener's service, the generation that
// currently serves it, and the generations still draining after a swap.
//
// Requests take a snapshot of the active generation when they are dispatched and finish on
// it; a swap publishes the next generation with one store under a lock. The published handle's
// last reference, wherever it drops (usually on the worker that ran the last request), hands the
// generation to the retire queue; the management thread takes it from there and unloads it.
// Everything that loads, swaps, drains or unloads runs on the management thread (reload,
// rollback, reap, unload_all).
#pragma once

#include <berth/host/config.hpp>

#include "deploy/library_file.hpp"
#include "net/http_service.hpp"
#include "plugin/generation.hpp"

#include <nlohmann/json.hpp>

#include <atomic>
#include <chrono>
#include <memory>
#include <mutex>
#include <optional>
#include <vector>

namespace berth::host::exec {
class worker_pool;
}

namespace berth::host::plugin {

enum class module_state { loading, serving, failed, stopped };
const char* to_string(module_state s);

// Host-wide swap settings (config: drain_timeout_ms, ready_timeout_ms, deploy).
struct swap_settings {
    std::chrono::milliseconds drain_timeout{30'000};
    std::chrono::milliseconds ready_timeout{10'000};
    deploy::library_policy policy;
};

struct swap_result {
    enum class outcome { swapped, unchanged, failed };
    outcome result = outcome::failed;
    std::optional<load_failure> failure;  // when failed
    std::string detail;                   // a sentence for the operator
};
const char* to_string(swap_result::outcome o);

class module : public net::http_service, public std::enable_shared_from_this<module> {
public:
    module(plugin_config config, std::filesystem::path data_dir, swap_settings swap,
           const host_services* services = nullptr);
    ~module() override;

    // Management thread. Loads `library` (default: the configured path) as the next generation
    // and publishes it; a file whose hash equals the active generation's is a no-op. On any
    // failure the active generation keeps serving, untouched, and the failure is recorded.
    swap_result reload(std::optional<std::filesystem::path> library, const std::string& trigger);

    // Management thread. Swaps back to the previous good generation's shadow copy.
    // nullopt when there is nothing to roll back to.
    std::optional<swap_result> rollback();

    // Management thread, periodically: unloads retired generations, cuts off those past the
    // drain deadline (their requests are answered 503 and their connections closed).
    void reap();

    // After the edge has stopped: runs what is queued, then joins the module's handler threads.
    void stop_workers();

    // Management thread, at shutdown, once no request is in flight: unpublishes and unloads
    // every generation. Returns one report per library unloaded.
    std::vector<unload_report> unload_all();

    // net::http_service. Health checks are answered here, on the I/O thread; everything else
    // runs on the module's own handler threads, or is refused with 503 when they and the queue
    // are full.
    std::optional<http::response> check_head(const http::request& head) override;
    void handle(http::request request, completion done) override;

    // An in-process call from another module, on the caller's thread, through the same
    // contract checks as HTTP; the snapshot keeps the generation alive for the call.
    http::response call(const http::request& request, const request_context& ctx);

    void set_endpoint(std::string address, std::uint16_t port);
    void set_failure(load_failure f);  // e.g. the port could not be bound

    const plugin_config& config() const { return config_; }
    nlohmann::json status() const;  // for the admin API: includes paths and loader text
    std::uint16_t port() const;
    module_state state() const;

private:
    struct retire_queue;
    std::shared_ptr<generation> snapshot() const;
    http::response health() const;
    http::response serve(const http::request& request, const std::shared_ptr<request_ticket>& t);
    swap_result fail(load_failure f, const std::string& trigger);
    swap_result publish(std::shared_ptr<generation> next, const std::string& trigger);
    unload_report unload_generation(std::shared_ptr<generation> gen);
    void collect_shadows();
    bool is_own_shadow(const std::filesystem::path& p) const;

    plugin_config config_;
    std::filesystem::path data_dir_;
    swap_settings swap_;
    const host_services* services_;
    std::unique_ptr<exec::worker_pool> workers_;
    std::atomic<std::size_t> admitted_{0};  // requests queued or running on workers_

    // The generation new requests go to, as a published handle (see the file comment).
    mutable std::mutex active_mutex_;
    std::shared_ptr<generation> active_;
    std::shared_ptr<retire_queue> retired_;

    struct draining {
        std::weak_ptr<generation> handle;
        std::uint64_t number;
        std::string version, sha256;
        std::filesystem::path shadow;
        std::chrono::steady_clock::time_point since, deadline;
        std::chrono::system_clock::time_point since_wall;
        bool cut_off = false;
    };
    struct retained {
        std::uint64_t number;
        std::string version, sha256, reason;
        std::chrono::system_clock::time_point at;
    };
    struct previous {
        std::filesystem::path shadow;
        std::string sha256, version;
    };

    mutable std::mutex mutex_;  // guards what follows
    module_state state_ = module_state::loading;
    std::optional<load_failure> last_error_;
    std::uint64_t generations_ = 0;
    std::string address_;
    std::uint16_t port_ = 0;
    std::vector<draining> draining_;
    std::vector<retained> retained_;
    std::optional<previous> previous_;
    struct {
        std::uint64_t swaps = 0, swap_failures = 0, unchanged = 0, rollbacks = 0, unloaded = 0, retained = 0,
                      cut_off = 0, refused = 0;
    } counters_;
};

}  // namespace berth::host::plugin
