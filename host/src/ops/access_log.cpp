#include "ops/access_log.hpp"

#include "ops/logging.hpp"

#include <nlohmann/json.hpp>

namespace berth::host::ops {

access_log::access_log(const log_stream_config& c, const std::string& format)
    : logger_(std::make_shared<spdlog::logger>("access", make_sink(c.destination, c.file))) {
    logger_->set_formatter(make_formatter(format, true));
    logger_->set_level(spdlog::level::info);
    thread_ = std::thread([this] { run(); });
}

access_log::~access_log() { close(); }

void access_log::record(const request_record& r) {
    std::unique_lock lock(mutex_);
    if (closing_) return;
    if (queued_.size() >= max_queued) {
        ++dropped_;
        return;
    }
    const bool was_idle = queued_.empty();
    queued_.push_back(entry{r.start, r.duration, std::string(r.request_id), std::string(r.module), std::string(r.method),
                            std::string(r.route), std::string(r.peer), r.generation, r.major, r.status, r.bytes_in,
                            r.bytes_out});
    lock.unlock();
    if (was_idle) wake_.notify_one();  // a busy writer looks again before it waits
}

void access_log::close() {
    {
        std::lock_guard lock(mutex_);
        if (closing_) return;
        closing_ = true;
    }
    wake_.notify_one();
    if (thread_.joinable()) thread_.join();
}

void access_log::run() {
    std::vector<entry> batch;
    for (;;) {
        std::size_t dropped = 0;
        bool last = false;
        {
            std::unique_lock lock(mutex_);
            wake_.wait(lock, [&] { return closing_ || !queued_.empty(); });
            batch.swap(queued_);
            dropped = std::exchange(dropped_, 0);
            last = closing_;
        }
        for (auto& e : batch) write(e);
        batch.clear();
        if (dropped)
            logger_->info(nlohmann::ordered_json{{"msg", "dropped"}, {"dropped", dropped},
                                         {"detail", "the access log fell behind; lines were dropped"}}
                              .dump());
        logger_->flush();
        if (last) return;
    }
}

void access_log::write(const entry& e) {
    const double ms = static_cast<double>(e.duration.count() / 1000) / 1000.0;  // to the microsecond
    nlohmann::ordered_json line = {{"msg", "request"},
                           {"request_id", e.request_id},
                           {"module", e.module},
                           {"generation", e.generation},
                           {"major", e.major},
                           {"method", e.method},
                           {"route", e.route},
                           {"status", e.status},
                           {"duration_ms", ms},
                           {"bytes_in", e.bytes_in},
                           {"bytes_out", e.bytes_out},
                           {"peer", e.peer}};
    logger_->log(e.start, spdlog::source_loc{}, spdlog::level::info,
                 line.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
}

}  // namespace berth::host::ops
