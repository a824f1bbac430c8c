#include "plugin/generation.hpp"

#include "abi/abi_bridge.hpp"
#include "isolate/isolated_plugin.hpp"

#include <spdlog/spdlog.h>

#include <future>
#include <thread>

namespace berth::host::plugin {

using abi::bytes;
using abi::text_sink;

std::variant<std::shared_ptr<generation>, load_failure> generation::start(std::shared_ptr<plugin_library> library,
                                                                        const module_config& config,
                                                                        const std::filesystem::path& data_dir,
                                                                        std::uint64_t number,
                                                                        std::chrono::milliseconds ready_timeout,
                                                                        const abi::host_services* services,
                                                                        const std::function<bool(const pipeline::route_set&)>& admit) {
    std::shared_ptr<generation> g(new generation());
    g->library_ = std::move(library);
    g->d_ = &g->library_->descriptor();
    g->module_ = config.name;
    g->check_responses_ = config.check_responses;
    g->plugin_ = g->d_->name;
    g->version_ = g->d_->version;
    g->number_ = number;
    g->services_ = services;
    g->host_context_ = abi::host_context{g->module_, services};
    g->host_api_ = abi::host_api(&g->host_context_);
    const std::string file = g->library_->source().string();

    const std::string data_dir_text = data_dir.string();
    berth_create_args args{sizeof(berth_create_args), bytes(config.name), bytes(config.settings_json),
                           bytes(config.database), bytes(data_dir_text)};
    text_sink error;
    // An isolated plugin's stand-in create() has no context: its isolated_plugin keeps the host table.
    auto* isolated = g->library_->isolated();
    const int created = isolated ? isolated->create(&g->host_api_, &args, &g->instance_, &error.writer)
                                 : g->d_->create(&g->host_api_, &args, &g->instance_, &error.writer);
    if (created != BERTH_OK || !g->instance_) {
        g->instance_ = nullptr;
        return load_failure{"create", file + ": " + (error.text.empty() ? "create failed" : error.text)};
    }

    text_sink manifest;
    if (g->d_->describe(g->instance_, &manifest.writer, &error.writer) != BERTH_OK)
        return load_failure{"describe", file + ": " + error.text};
    auto routes = pipeline::compile_routes(nlohmann::json::parse(manifest.text, nullptr, false));
    if (auto* wrong = std::get_if<std::string>(&routes)) return load_failure{"describe", file + ": " + *wrong};
    g->routes_ = std::get<pipeline::route_set>(std::move(routes));
    try {
        g->openapi_ = contract::publish(g->routes_, {g->module_, g->plugin_, g->version_});
    } catch (const std::exception& e) {
        return load_failure{"describe", file + ": the OpenAPI document could not be made: " + e.what()};
    }

    if (admit && !admit(g->routes_))
        return load_failure{"contract", file + ": the contract breaks what is served (see the refusal)"};

    if (g->d_->start(g->instance_, &error.writer) != BERTH_OK)
        return load_failure{"start", file + ": " + (error.text.empty() ? "start failed" : error.text)};
    g->started_ = true;
    if (g->d_->ready) {
        // On its own thread, so a readiness check that hangs cannot hang the swap. The thread
        // owns a reference: if we give up waiting, it shuts the generation down when ready returns.
        struct outcome {
            int rc = BERTH_ERROR;
            std::string text;
        };
        auto promise = std::make_shared<std::promise<outcome>>();
        auto answer = promise->get_future();
        auto finished = std::make_shared<std::atomic<bool>>(false);
        std::thread waiter([g, promise, finished]() mutable {
            text_sink ready_error;
            outcome o;
            o.rc = g->d_->ready(g->instance_, &ready_error.writer);
            o.text = std::move(ready_error.text);
            promise->set_value(std::move(o));
            g.reset();  // if abandoned, this is the last reference: stop, destroy, unload here
            *finished = true;
        });
        if (answer.wait_for(ready_timeout) != std::future_status::ready) {
            std::lock_guard lock(abandoned_mutex());
            abandoned().push_back({std::move(waiter), finished});
            return load_failure{"ready", file + ": not ready within " + std::to_string(ready_timeout.count()) + " ms"};
        }
        waiter.join();
        auto o = answer.get();
        if (o.rc != BERTH_OK) return load_failure{"ready", file + ": " + (o.text.empty() ? "not ready" : o.text)};
    }
    g->loaded_at_ = std::chrono::system_clock::now();
    return g;
}

generation::~generation() { shutdown(); }

std::mutex& generation::abandoned_mutex() {
    static std::mutex m;
    return m;
}

std::vector<generation::abandoned_ready>& generation::abandoned() {
    static std::vector<abandoned_ready> threads;
    return threads;
}

std::size_t generation::join_abandoned(std::chrono::milliseconds limit) {
    std::vector<abandoned_ready> threads;
    {
        std::lock_guard lock(abandoned_mutex());
        threads.swap(abandoned());
    }
    const auto until = std::chrono::steady_clock::now() + limit;
    std::size_t left = 0;
    for (auto& a : threads) {
        while (!*a.finished && std::chrono::steady_clock::now() < until)
            std::this_thread::sleep_for(std::chrono::milliseconds(10));
        if (*a.finished) {
            a.thread.join();
        } else {
            ++left;
            a.thread.detach();
        }
    }
    if (left) spdlog::error("{} plugin ready() call(s) never returned; their generations are leaked", left);
    return left;
}

// A vector, not a list: no allocation per request once it has grown to the busiest moment.
void generation::enter(std::shared_ptr<request_ticket> t) {
    ++in_flight;
    std::lock_guard lock(tickets_mutex_);
    t->slot = tickets_.size();
    tickets_.push_back(std::move(t));
}

void generation::leave(request_ticket& t) {
    {
        std::lock_guard lock(tickets_mutex_);
        auto& last = tickets_.back();
        last->slot = t.slot;
        std::swap(tickets_[t.slot], last);
        tickets_.pop_back();
    }
    --in_flight;
}

std::vector<std::shared_ptr<request_ticket>> generation::tickets() const {
    std::lock_guard lock(tickets_mutex_);
    return {tickets_.begin(), tickets_.end()};
}

void generation::shutdown() {
    if (!instance_) return;
    if (started_) d_->stop(instance_);
    started_ = false;
    d_->destroy(instance_);
    instance_ = nullptr;
}

pipeline::endpoint generation::endpoint() const {
    return {routes_, module_, services_ ? services_->tokens : nullptr, abi::plugin_instance{d_, instance_},
            check_responses_};
}

}  // namespace berth::host::plugin
