#include "channel.hpp"

#include "isolate/frame.hpp"
#include "isolate/protocol.hpp"

#include <unistd.h>

namespace berth::worker {

namespace msg = host::isolate::msg;

namespace {

// Room in a frame for everything but the payload: fields, headers' framing.
constexpr std::size_t frame_margin = 1 << 20;

}  // namespace

bool channel::carries(std::size_t payload_bytes) {
    return payload_bytes <= host::isolate::max_frame_bytes - frame_margin;
}

void channel::send(const nlohmann::json& message) {
    std::lock_guard lock(write_);
    try {
        host::isolate::write_frame(fd_, message);
    } catch (...) {
        _exit(0);  // the host is gone (or the stream is cut mid-frame): nothing left to serve
    }
}

void channel::reply_ok(std::int64_t id, nlohmann::json fields) {
    if (!fields.is_object()) fields = nlohmann::json::object();
    fields["t"] = msg::reply;
    fields["id"] = id;
    fields["ok"] = true;
    send(fields);
}

void channel::reply_error(std::int64_t id, std::string_view error, std::string_view step) {
    nlohmann::json m = {{"t", msg::reply}, {"id", id}, {"ok", false}, {"error", error}};
    if (!step.empty()) m["step"] = step;
    send(m);
}

nlohmann::json channel::request(nlohmann::json message) {
    const std::int64_t id = next_id_++;
    message["id"] = id;
    std::future<nlohmann::json> answer;
    {
        std::lock_guard lock(pending_mutex_);
        answer = pending_[id].get_future();
    }
    send(message);
    // No deadline: the host always answers, and if it dies the reading thread _exits.
    return answer.get();
}

void channel::resolve(const nlohmann::json& reply) {
    auto id = reply.find("id");
    if (id == reply.end() || !id->is_number_integer()) return;
    std::promise<nlohmann::json> waiting;
    {
        std::lock_guard lock(pending_mutex_);
        auto it = pending_.find(id->get<std::int64_t>());
        if (it == pending_.end()) return;
        waiting = std::move(it->second);
        pending_.erase(it);
    }
    waiting.set_value(reply);
}

}  // namespace berth::worker
