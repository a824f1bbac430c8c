#include "ops/access_log_note.hpp"

#include "ops/telemetry.hpp"

namespace berth::host::ops {

access_note::access_note(const http::request& r)
    : start_(std::chrono::system_clock::now()),
      began_(std::chrono::steady_clock::now()),
      request_id_(r.id),
      method_(r.method),
      peer_(r.peer),
      bytes_in_(r.body.size()) {}

void access_note::served(std::uint64_t generation, std::string_view route, int major) {
    std::lock_guard lock(mutex_);
    generation_ = generation;
    if (!route.empty()) route_.assign(route);
    major_ = major;
}

void access_note::by_host() {
    std::lock_guard lock(mutex_);
    route_ = "host";
}

std::function<void(http::response)> observed(telemetry& t, std::string_view module, std::shared_ptr<access_note> note,
                                             std::function<void(http::response)> done) {
    return [&t, module = std::string(module), note = std::move(note), inner = std::move(done)](http::response r) {
        request_record rec;
        rec.start = note->start_;
        rec.duration = std::chrono::steady_clock::now() - note->began_;
        rec.request_id = note->request_id_;
        rec.module = module;
        rec.method = note->method_;
        rec.peer = note->peer_;
        rec.status = r.status;
        rec.bytes_in = note->bytes_in_;
        rec.bytes_out = r.body.size();
        {
            std::lock_guard lock(note->mutex_);
            rec.route = note->route_;
            rec.generation = note->generation_;
            rec.major = note->major_;
            t.observe(rec);  // under the note's lock: the views stay valid
        }
        inner(std::move(r));
    };
}

}  // namespace berth::host::ops
