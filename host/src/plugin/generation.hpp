// A generation: one started instance of a plugin serving a module, from create to destroy,
// with the routes its manifest declared compiled for the pipeline (pipeline/). Requests go
// through the pipeline to a generation's endpoint(); it is stopped and destroyed before its
// library is unloaded.
#pragma once

#include <berth/host/config.hpp>

#include "abi/abi_bridge.hpp"
#include "contract/openapi.hpp"
#include "http/message.hpp"
#include "pipeline/pipeline.hpp"
#include "pipeline/route_contract.hpp"
#include "plugin/plugin_library.hpp"

#include <atomic>
#include <chrono>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>
#include <memory>
#include <string>
#include <variant>

namespace berth::host::plugin {

// One dispatched request's answer slot. Answered exactly once: by the handler's result, or
// by a drain cut-off (503 and close) if the generation is past its drain deadline.
struct request_ticket {
    std::function<void(http::response)> done;
    std::string request_id;
    std::atomic<bool> answered{false};
    std::size_t slot = 0;  // its index in the generation's tickets while it is served

    // False when someone answered first.
    bool answer(http::response r) {
        if (!claim()) return false;
        done(std::move(r));
        return true;
    }
    // The two halves of answer(), for a caller that records the answer between them, so that
    // whatever a client sees is already counted: claim() is false when someone answered first.
    bool claim() { return !answered.exchange(true); }
    void send(http::response r) { done(std::move(r)); }
};

class generation {
public:
    // Creates, describes, starts and readies an instance (steps create, describe, start, ready).
    // On failure the instance is stopped/destroyed again and the library is left to the caller.
    // `admit`, when given, sees the compiled contract after describe and before start: false
    // stops there (step "contract"), before the plugin's start() has touched anything.
    // ready() runs on its own thread and must answer within ready_timeout; a generation whose
    // ready() overruns is abandoned to that thread, which shuts it down when ready() returns.
    static std::variant<std::shared_ptr<generation>, load_failure> start(
        std::shared_ptr<plugin_library> library, const module_config& config, const std::filesystem::path& data_dir,
        std::uint64_t number, std::chrono::milliseconds ready_timeout = std::chrono::seconds(10),
        const abi::host_services* services = nullptr,
        const std::function<bool(const pipeline::route_set&)>& admit = {});
    ~generation();

    // What the pipeline serves requests with: the compiled routes and the started instance.
    pipeline::endpoint endpoint() const;

    // stop() then destroy(); idempotent. Call with no request in flight.
    void shutdown();

    // Joins the threads of ready() calls that overran their deadline (each shuts its generation
    // down when ready() returns), waiting at most `limit`; returns how many never returned.
    // The runtime calls it at stop, before the host services those generations use go away.
    static std::size_t join_abandoned(std::chrono::milliseconds limit);

    const std::string& module_name() const { return module_; }
    const std::string& plugin_name() const { return plugin_; }
    const std::string& version() const { return version_; }  // the plugin's
    std::uint64_t number() const { return number_; }
    std::chrono::system_clock::time_point loaded_at() const { return loaded_at_; }
    const std::shared_ptr<plugin_library>& library() const { return library_; }
    // Its OpenAPI document, built once when it was described (never on a request's path).
    const contract::published_document& openapi() const { return *openapi_; }
    const pipeline::route_set& routes() const { return routes_; }  // with the manifest as declared

    // Requests currently being served, with their answer slots.
    std::atomic<std::size_t> in_flight{0};
    void enter(std::shared_ptr<request_ticket> t);
    void leave(request_ticket& t);
    std::vector<std::shared_ptr<request_ticket>> tickets() const;

private:
    generation() = default;
    std::shared_ptr<plugin_library> library_;
    const berth_plugin_descriptor* d_ = nullptr;
    void* instance_ = nullptr;
    bool started_ = false;
    std::string module_, plugin_, version_;
    std::uint64_t number_ = 0;
    bool check_responses_ = false;
    const abi::host_services* services_ = nullptr;
    std::chrono::system_clock::time_point loaded_at_;
    pipeline::route_set routes_;
    std::shared_ptr<const contract::published_document> openapi_;
    // The host services table handed to the plugin, and what it needs; live as long as the instance.
    abi::host_context host_context_;
    berth_host_api host_api_{};
    struct abandoned_ready {
        std::thread thread;
        std::shared_ptr<std::atomic<bool>> finished;
    };
    static std::mutex& abandoned_mutex();
    static std::vector<abandoned_ready>& abandoned();
    mutable std::mutex tickets_mutex_;
    std::vector<std::shared_ptr<request_ticket>> tickets_;  // unordered; each knows its slot
};

}  // namespace berth::host::plugin
