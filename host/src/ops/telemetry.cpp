#include "ops/telemetry.hpp"

#include <spdlog/spdlog.h>

namespace berth::host::ops {

void telemetry::observe(const request_record& r) const {
    for (auto& o : request_observers_) {
        try {
            o(r);
        } catch (const std::exception& e) {
            spdlog::warn("a request observer failed: {}", e.what());
        }
    }
}

void telemetry::emit(std::string kind, std::string module, nlohmann::json fields) {
    event e;
    e.time = std::chrono::system_clock::now();
    e.kind = std::move(kind);
    e.module = std::move(module);
    e.fields = std::move(fields);
    {
        std::lock_guard lock(mutex_);
        e.seq = ++seq_;
        recent_.push_back(e);
        if (recent_.size() > kept_events) recent_.pop_front();
    }
    // Outside the lock: an observer may take its own.
    for (auto& o : event_observers_) {
        try {
            o(e);
        } catch (const std::exception& ex) {
            spdlog::warn("an event observer failed: {}", ex.what());
        }
    }
}

std::vector<event> telemetry::events_since(std::uint64_t after, std::size_t max) const {
    std::vector<event> out;
    std::lock_guard lock(mutex_);
    for (auto& e : recent_) {
        if (e.seq <= after) continue;
        if (out.size() == max) break;
        out.push_back(e);
    }
    return out;
}

std::uint64_t telemetry::last_seq() const {
    std::lock_guard lock(mutex_);
    return seq_;
}

}  // namespace berth::host::ops
