// A module: one configured, served unit (name, port, database, settings, limits), the
// generations that serve it, and the generations still draining after a swap.
//
// Which generation serves which major is one immutable serving map: the active generation
// (the last one published) and, for each major, the generation that serves it. An older
// generation keeps serving the majors the newer builds do not (majors side by side, see
// docs/contracts.md (Majors side by side)). Requests take the generation of their path's major when they are
// dispatched and finish on it; a swap or a retire publishes a new map with one store under a
// lock. A generation's published handle's last reference, wherever it drops (usually on the
// worker that ran the last request), hands it to the retire queue; the deploy thread takes it
// from there and unloads it. The deploy thread (deploy/deployer.hpp) makes new generations and
// calls publish(), retire(), reap() and unload_all(); nothing else changes which generation serves.
#pragma once

#include <berth/host/config.hpp>
#include <berth/host/module_snapshot.hpp>

#include "net/http_service.hpp"
#include "plugin/generation.hpp"

#include <atomic>
#include <chrono>
#include <memory>
#include <mutex>
#include <optional>
#include <string_view>
#include <utility>
#include <vector>

namespace berth::host::exec {
class worker_pool;
}
namespace berth::host::pipeline {
class docs_assets;
}

namespace berth::host::plugin {

enum class swap_outcome { swapped, unchanged, failed, refused };  // refused: by the breaking-change gate
const char* to_string(swap_outcome o);

struct swap_result {
    swap_outcome outcome = swap_outcome::failed;
    std::optional<load_failure> failure;  // when failed
    std::string detail;                   // a sentence for the operator
    std::optional<std::uint64_t> restores;  // a rollback: the generation whose build now serves again
    bool roll_forward = false;              // ... which is the build the last rollback replaced
    std::vector<contract_change> breaking;  // refused: why; swapped: what a forced swap accepted
};

// "v1, v2": majors as a sentence names them.
std::string major_list(const std::vector<int>& majors);

enum class retire_outcome { retired, not_served, active };

struct retire_result {
    retire_outcome outcome = retire_outcome::not_served;
    std::string detail;                     // a sentence for the operator
    std::optional<std::uint64_t> generation;  // the generation that served the major
    bool drains = false;                    // ... and now serves none: it drains and is unloaded
};

// The build a rollback returns to: the generation the active one replaced.
struct rollback_target {
    std::filesystem::path shadow;  // the host's copy of its library
    std::uint64_t number = 0;
};

class module : public net::http_service, public std::enable_shared_from_this<module> {
public:
    module(module_config config, std::filesystem::path data_dir, std::chrono::milliseconds drain_timeout,
           const abi::host_services* services = nullptr);
    ~module() override;

    // --- deploy thread ---
    // Makes `next` the active generation, serving every major its routes are under; majors it
    // does not serve stay with the generations serving them, and a generation left with no
    // major (and not active) drains. `restores`: for a rollback, the number of the generation
    // whose build `next` is.
    swap_result publish(std::shared_ptr<generation> next, const std::string& trigger,
                        std::optional<std::uint64_t> restores = std::nullopt);
    // A swap that failed: the active generation keeps serving, untouched; the failure is kept.
    swap_result record_failure(load_failure f, const std::string& trigger);
    // A swap the breaking-change gate refused (the new build is already shut down); kept as
    // the last refusal.
    swap_result record_refusal(std::vector<contract_change> changes, const std::string& trigger,
                               const std::filesystem::path& library);
    // A swap to the build that already serves.
    swap_result record_unchanged(const std::filesystem::path& source);
    // Stops serving `major`: the older generation serving it drains if it serves no other.
    // Refused (nothing changes) when the active generation serves it or none does.
    retire_result retire(int major);
    std::uint64_t next_generation_number() const;
    std::optional<rollback_target> rollback_to() const;
    // Unloads retired generations, cuts off those past the drain deadline (their requests are
    // answered 503 and their connections closed). Periodically.
    void reap();
    // At shutdown, once no request is in flight: unpublishes and unloads every generation.
    // Returns one report per library unloaded.
    std::vector<unload_report> unload_all();

    // After the edge has stopped: runs what is queued, then joins the module's handler threads.
    void stop_workers();

    // net::http_service. Host routes (/healthz) are answered here, on the I/O thread; every
    // other request runs through the pipeline on the module's own handler threads, or is
    // refused with 503 when they and the queue are full.
    std::optional<http::response> check_head(const http::request& head) override;
    void handle(http::request request, completion done) override;

    // An in-process call from another module, on the caller's thread, through the same
    // pipeline as HTTP; the held generation stays alive for the call.
    http::response call(const http::request& request, const abi::request_context& ctx);

    void set_endpoint(std::string address, std::uint16_t port);
    // Swagger UI's files for /docs, read once at start; set before the module's port serves.
    void set_docs(std::shared_ptr<const pipeline::docs_assets> docs) { docs_ = std::move(docs); }
    void set_failure(load_failure f);  // e.g. the port could not be bound

    // The module's config as it is now. A live reload replaces it (set_config) but never frees
    // one: a reference handed out stays valid for the module's life.
    const module_config& config() const { return *config_now_.load(std::memory_order_acquire); }
    // Deploy thread: from now on config() is `next` (name unchanged). Handler threads already
    // running keep what they read; the next request reads the new one.
    void set_config(module_config next);
    // Bound, and a generation published (it reported ready): GET /readyz and "ready".
    bool ready() const;
    const std::filesystem::path& data_dir() const { return data_dir_; }
    const abi::host_services* services() const { return services_; }
    std::shared_ptr<generation> active() const;
    // The generation serving `major`, or null: what a new build's contract for that major is
    // compared with (the breaking-change gate). Hold it only briefly: it keeps the generation.
    std::shared_ptr<generation> serving(int major) const;
    // The module's OpenAPI document: the active generation's, or, with majors side by side,
    // every serving generation's for its majors (built once per serving map). Null when
    // nothing serves.
    std::shared_ptr<const contract::published_document> document() const;
    module_snapshot snapshot() const;  // operator-facing: paths and loader text
    std::uint16_t port() const;
    module_state state() const;

private:
    struct retire_queue;
    // Which generation serves which major; never changed once published (see the file comment).
    struct serving_map {
        std::shared_ptr<generation> active;  // the last one published; may serve no major
        std::vector<std::pair<int, std::shared_ptr<generation>>> by_major;  // ascending major
        std::vector<int> majors_of(const generation* g) const;
        std::vector<int> majors() const;
        // Every generation in the map once, the active one first.
        std::vector<std::shared_ptr<generation>> generations() const;
    };
    struct draining {
        std::weak_ptr<generation> handle;
        generation_snapshot info;
        std::filesystem::path shadow;
        std::chrono::steady_clock::time_point deadline;
        std::chrono::system_clock::time_point since;
        bool cut_off = false;
    };
    struct previous {
        generation_snapshot info;
        std::filesystem::path shadow;
    };

    http::response health() const;
    http::response openapi() const;  // document(), served
    // The generation serving the request target's major (the request finishes on it), or null.
    std::shared_ptr<generation> serving_for(std::string_view target) const;
    // A request no generation takes: 400 for a target that is no URI, 503 when nothing is
    // loaded, else 404 listing the majors served.
    http::response not_served(std::string_view target) const;
    // Publishes `to` with one store; the generations of the map it replaces that `to` does not
    // hold start draining. Returns the replaced map. Under mutex_.
    std::shared_ptr<const serving_map> install(std::shared_ptr<const serving_map> to,
                                               std::optional<std::uint64_t> old_active_restores);
    // What served a request, for the request stream (ops/telemetry.hpp): the generation is held
    // until the record is observed, so the route template it names stays valid.
    struct served_by {
        std::shared_ptr<generation> gen;
        const pipeline::route_contract* route = nullptr;
    };
    http::response serve(const http::request& request, const std::shared_ptr<request_ticket>& t, served_by& by);
    unload_report unload_generation(std::shared_ptr<generation> gen);
    void collect_shadows();
    bool is_own_shadow(const std::filesystem::path& p) const;
    generation_snapshot describe(const generation& g) const;

    // Every config this module has had, the current one last (see config()). A few per reload.
    std::vector<std::unique_ptr<const module_config>> configs_;  // under mutex_
    std::atomic<const module_config*> config_now_{nullptr};
    std::filesystem::path data_dir_;
    std::chrono::milliseconds drain_timeout_;
    const abi::host_services* services_;
    std::unique_ptr<exec::worker_pool> workers_;
    std::atomic<std::size_t> admitted_{0};  // requests queued or running on workers_
    std::shared_ptr<const pipeline::docs_assets> docs_;  // null: /docs answers "not installed"

    // The generations new requests go to, as published handles (see the file comment). Written
    // under mutex_ and active_mutex_ both, so reading under either is enough.
    mutable std::mutex active_mutex_;
    std::shared_ptr<const serving_map> serving_;
    std::shared_ptr<retire_queue> retired_;

    // document() with several serving generations: the last one built, and for which map.
    mutable std::mutex document_mutex_;
    mutable std::shared_ptr<const contract::published_document> document_;
    mutable std::weak_ptr<const serving_map> document_for_;

    mutable std::mutex mutex_;  // guards what follows
    module_state state_ = module_state::loading;
    std::optional<load_failure> last_error_;
    std::optional<refusal_snapshot> last_refusal_;
    std::uint64_t generations_ = 0;
    std::string address_;
    std::uint16_t port_ = 0;
    bool bound_ = false;
    std::optional<std::uint64_t> active_restores_;  // the active generation is a rollback to this one's build
    std::vector<draining> draining_;
    std::vector<retained_snapshot> retained_;
    std::optional<previous> previous_;
    module_counters counters_;
};

}  // namespace berth::host::plugin
