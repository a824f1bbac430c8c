#include "isolate/worker_link.hpp"

#include "isolate/fields.hpp"
#include "isolate/frame.hpp"
#include "isolate/protocol.hpp"

#include <sys/socket.h>
#include <sys/time.h>

namespace berth::host::isolate {

using nlohmann::json;

namespace {

// The fallback thread's queue, and a mailbox's: past this the worker is asking more than any
// honest worker can (each call blocks one of its threads).
constexpr std::size_t max_queued = 256;

// Pings are numbered apart from requests: a late answer to an earlier ping still counts.
constexpr std::uint64_t ping_ids = std::uint64_t(1) << 62;

std::uint64_t id_of(const json& m) { return id_field(m, "id"); }

std::string type_of(const json& m) {
    auto it = m.find("t");
    return it != m.end() && it->is_string() ? it->get<std::string>() : std::string();
}

}  // namespace

worker_link::worker_link(unique_fd channel, handlers h, std::chrono::milliseconds write_timeout)
    : fd_(std::move(channel)), h_(std::move(h)), last_pong_(clock::now().time_since_epoch().count()) {
    timeval tv{};
    tv.tv_sec = write_timeout.count() / 1000;
    tv.tv_usec = (write_timeout.count() % 1000) * 1000;
    ::setsockopt(fd_.get(), SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
    reader_ = std::thread([this] { read_loop(); });
    try {
        fallback_thread_ = std::thread([this] { fallback_loop(); });
    } catch (...) {  // a joinable reader_ during unwinding would be std::terminate
        closing_ = true;
        ::shutdown(fd_.get(), SHUT_RDWR);
        reader_.join();
        throw;
    }
}

worker_link::~worker_link() { close(); }

void worker_link::close() {
    std::call_once(closed_, [this] {
        closing_ = true;
        ::shutdown(fd_.get(), SHUT_RDWR);  // the reader's read returns, a blocked write fails
        if (reader_.joinable()) reader_.join();
        end_all();
        {
            std::lock_guard lock(fallback_mutex_);
            fallback_.clear();
        }
        fallback_cv_.notify_all();
        if (fallback_thread_.joinable()) fallback_thread_.join();
    });
}

bool worker_link::send(const json& message) {
    try {
        std::lock_guard lock(write_mutex_);
        write_frame(fd_.get(), message);
        return true;
    } catch (const channel_error&) {
        // A write that fails or times out: the worker is gone or stuck. The reader sees the end.
        ::shutdown(fd_.get(), SHUT_RDWR);
        return false;
    }
}

worker_link::outcome worker_link::request(json message, std::optional<clock::time_point> deadline) {
    const std::uint64_t id = next_id_++;
    message["id"] = id;
    auto box = std::make_shared<mailbox>();
    {
        std::lock_guard lock(pending_mutex_);
        if (ended_) return {std::nullopt, false, false};
        pending_.emplace(id, box);
    }
    auto forget = [&] {
        std::lock_guard lock(pending_mutex_);
        pending_.erase(id);
    };
    if (!send(message)) {  // a frame cut short is never acted on: the worker reads whole frames
        forget();
        return {std::nullopt, false, false};
    }
    for (;;) {
        std::unique_lock lock(box->m);
        auto has = [&] { return !box->inbox.empty() || box->ended; };
        if (deadline) {
            if (!box->cv.wait_until(lock, *deadline, has)) {
                lock.unlock();
                forget();
                return {std::nullopt, true};
            }
        } else {
            box->cv.wait(lock, has);
        }
        if (box->inbox.empty()) {  // ended
            lock.unlock();
            forget();
            return {};
        }
        json next = std::move(box->inbox.front());
        box->inbox.pop_front();
        lock.unlock();
        if (type_of(next) == msg::reply) {
            forget();
            return {std::move(next)};
        }
        serve_one(next);  // a token or call made for this request: on this thread, as in-process
    }
}

void worker_link::serve_one(const json& request) {
    json answer;
    if (request.contains("refused")) {
        answer = {{"ok", false}, {"error", "the host has too many requests from this worker waiting"}};
    } else {
        try {
            answer = h_.serve ? h_.serve(request) : json{{"ok", false}, {"error", "no host services"}};
        } catch (const std::exception&) {
            answer = {{"ok", false}, {"error", "the host could not serve the request"}};
        }
    }
    answer["t"] = msg::reply;
    answer["id"] = id_of(request);
    send(answer);
}

void worker_link::ping() {
    std::unique_lock lock(write_mutex_, std::try_to_lock);
    if (!lock) return;
    const std::uint64_t id = ping_ids + ++pings_;
    try {
        write_frame(fd_.get(), json{{"t", msg::ping}, {"id", id}});
    } catch (const channel_error&) {
        ::shutdown(fd_.get(), SHUT_RDWR);
    }
}

void worker_link::read_loop() {
    std::string why;
    try {
        for (;;) {
            auto frame = read_frame(fd_.get());
            if (!frame) {
                why = "end of stream";
                break;
            }
            const std::string t = type_of(*frame);
            const std::uint64_t id = id_of(*frame);
            if (t == msg::reply) {
                if (id > ping_ids) {  // any ping's answer: the worker's handler threads still turn
                    last_pong_ = clock::now().time_since_epoch().count();
                    continue;
                }
                std::shared_ptr<mailbox> box;
                {
                    std::lock_guard lock(pending_mutex_);
                    if (auto it = pending_.find(id); it != pending_.end()) box = it->second;
                }
                if (box) {  // else a reply nobody waits for any more (its deadline passed)
                    std::lock_guard lock(box->m);
                    box->inbox.push_back(std::move(*frame));
                    box->cv.notify_one();
                }
            } else if (t == msg::token || t == msg::call) {
                if (id == 0) throw channel_error("a worker request without an id");
                const std::uint64_t for_id = id_field(*frame, "for");
                std::shared_ptr<mailbox> box;
                if (for_id != 0) {
                    std::lock_guard lock(pending_mutex_);
                    if (auto it = pending_.find(for_id); it != pending_.end()) box = it->second;
                }
                if (box) {
                    std::lock_guard lock(box->m);
                    if (box->inbox.size() >= max_queued) throw channel_error("a worker flooded a request's mailbox");
                    box->inbox.push_back(std::move(*frame));
                    box->cv.notify_one();
                } else {
                    std::lock_guard lock(fallback_mutex_);
                    if (fallback_.size() >= 2 * max_queued) throw channel_error("a worker flooded the host's services");
                    // Past the bound only a refusal is queued: a small entry answered at once.
                    if (fallback_.size() >= max_queued) fallback_.push_back(json{{"id", id}, {"refused", true}});
                    else fallback_.push_back(std::move(*frame));
                    fallback_cv_.notify_one();
                }
            } else if (t == msg::log || t == msg::lease) {
                if (h_.notice) h_.notice(*frame);
            } else {
                throw channel_error("a message of unknown type from the worker");
            }
        }
    } catch (const std::exception& e) {
        why = e.what();
    }
    end_all();
    if (!closing_ && h_.ended) h_.ended(why);
}

void worker_link::end_all() {
    std::map<std::uint64_t, std::shared_ptr<mailbox>> boxes;
    {
        std::lock_guard lock(pending_mutex_);
        ended_ = true;
        boxes = pending_;
    }
    for (auto& [id, box] : boxes) {
        std::lock_guard lock(box->m);
        box->ended = true;
        box->cv.notify_all();
    }
}

void worker_link::fallback_loop() {
    for (;;) {
        json next;
        {
            std::unique_lock lock(fallback_mutex_);
            fallback_cv_.wait(lock, [&] { return !fallback_.empty() || closing_ || ended_; });
            if (fallback_.empty()) return;
            next = std::move(fallback_.front());
            fallback_.pop_front();
        }
        serve_one(next);
    }
}

}  // namespace berth::host::isolate
