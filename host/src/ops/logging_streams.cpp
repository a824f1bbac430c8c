#include "ops/logging_streams.hpp"

#include "ops/access_log.hpp"
#include "ops/logging.hpp"
#include "ops/telemetry.hpp"

#include <nlohmann/json.hpp>
#include <spdlog/logger.h>

namespace berth::host::ops {

namespace {

// A swap that failed or was refused, a drain cut short, a library that stayed: an operator's concern.
spdlog::level::level_enum level_of(const event& e) {
    const auto outcome = e.fields.is_object() ? e.fields.value("outcome", std::string()) : std::string();
    if (outcome == "failed" || outcome == "refused" || outcome == "cut_off") return spdlog::level::warn;
    if (e.kind == "unload" && e.fields.is_object() && !e.fields.value("unloaded", true)) return spdlog::level::warn;
    return spdlog::level::info;
}

}  // namespace

log_streams::log_streams(const logging_config& c) {
    if (c.access.enabled) access_ = std::make_shared<access_log>(c.access, c.format);
    if (c.events.enabled) {
        events_ = std::make_shared<spdlog::logger>("event", make_sink(c.events.destination, c.events.file));
        events_->set_formatter(make_formatter(c.format, true));
        events_->set_level(spdlog::level::info);
        events_->flush_on(spdlog::level::trace);  // rare, and each one matters
    }
}

log_streams::~log_streams() { close(); }

void log_streams::attach(telemetry& t) {
    if (access_) t.on_request([log = access_](const request_record& r) { log->record(r); });
    if (events_)
        t.on_event([log = events_](const event& e) {
            const nlohmann::ordered_json line = {
                {"msg", e.kind}, {"seq", e.seq}, {"kind", e.kind}, {"module", e.module}, {"fields", e.fields}};
            log->log(e.time, spdlog::source_loc{}, level_of(e),
                     line.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
        });
}

void log_streams::close() {
    if (access_) access_->close();
    if (events_) events_->flush();
}

}  // namespace berth::host::ops
