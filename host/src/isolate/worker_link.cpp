#include "isolate/worker_link.hpp"

#include "isolate/fields.hpp"
#include "isolate/frame.hpp"
#include "isolate/protocol.hpp"

#include <sys/socket.h>

namespace berth::host::isolate {

using nlohmann::json;

namespace {

// Pings are numbered apart from requests.
constexpr std::uint64_t ping_ids = std::uint64_t(1) << 62;

// How deep this thread is in calls served inside one another (request -> serve_one -> request).
thread_local int nesting = 0;

std::uint64_t id_of(const json& m) { return id_field(m, "id"); }

std::string type_of(const json& m) {
    auto it = m.find("t");
    return it != m.end() && it->is_string() ? it->get<std::string>() : std::string();
}

json refusal(std::uint64_t id, const std::string& why) { return json{{"id", id}, {"refused", why}}; }

}  // namespace

worker_link::worker_link(unique_fd channel, handlers h, std::chrono::milliseconds write_timeout)
    : fd_(std::move(channel)), h_(std::move(h)), write_timeout_(write_timeout),
      last_pong_(clock::now().time_since_epoch().count()) {
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
    // One deadline for the lock and the frame: a writer ahead of us gives up within its own.
    const auto deadline = clock::now() + write_timeout_;
    std::unique_lock lock(write_mutex_, std::defer_lock);
    if (!lock.try_lock_until(deadline)) return false;
    try {
        write_frame(fd_.get(), message, deadline);
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
    box->takes_calls = type_of(message) == msg::handle;
    {
        std::lock_guard lock(pending_mutex_);
        if (ended_) return {std::nullopt, false, false};
        pending_.emplace(id, box);
    }
    auto forget = [&] {
        {
            std::lock_guard lock(pending_mutex_);
            pending_.erase(id);
        }
        std::lock_guard lock(box->m);  // what the worker queued for it is not served: no longer counted
        box->closed = true;            // the reader queues nothing more here (it goes to the fallback)
        for (auto& q : box->inbox) release(q);
        box->inbox.clear();
    };
    if (!send(message)) {  // a frame cut short is never acted on: the worker reads whole frames
        forget();
        return {std::nullopt, false, false};
    }
    for (;;) {
        std::unique_lock lock(box->m);
        auto has = [&] { return box->answered || !box->inbox.empty() || box->ended; };
        // Checked on every pass, not only when waiting: a worker that keeps a call queued for the
        // request at all times would otherwise hold this thread past its deadline.
        if (deadline && (clock::now() >= *deadline || !box->cv.wait_until(lock, *deadline, has))) {
            lock.unlock();
            forget();
            return {std::nullopt, true};
        }
        if (!deadline) box->cv.wait(lock, has);
        // Its answer ends it: the thread that made a call for it waits for that call's reply before
        // answering, so calls still queued came from elsewhere; forget() refuses them by dropping.
        if (box->answered) {
            json reply = std::move(box->reply);
            lock.unlock();
            forget();
            return {std::move(reply)};
        }
        if (box->ended) {
            lock.unlock();
            forget();
            return {};
        }
        queued next = std::move(box->inbox.front());
        box->inbox.pop_front();
        lock.unlock();
        release(next);
        // A token or call made for this request: on this thread, as in-process, but only so deep.
        if (nesting >= max_nesting) {
            serve_one(refusal(id_of(next.message), "calls nested more than " + std::to_string(max_nesting) + " deep"));
            continue;
        }
        ++nesting;
        try {
            serve_one(next.message);
        } catch (...) {
            --nesting;
            throw;
        }
        --nesting;
    }
}

void worker_link::serve_one(const json& request) {
    json answer;
    if (auto r = request.find("refused"); r != request.end()) {
        answer = {{"ok", false}, {"error", r->is_string() ? r->get<std::string>() : "refused"}};
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
    const std::uint64_t id = ping_ids + ++pings_sent_;  // counted before it goes: its answer may come at once
    try {
        write_frame(fd_.get(), json{{"t", msg::ping}, {"id", id}}, clock::now() + write_timeout_);
    } catch (const channel_error&) {
        ::shutdown(fd_.get(), SHUT_RDWR);
    }
}

void worker_link::read_loop() {
    std::string why;
    try {
        for (;;) {
            std::size_t bytes = 0;
            auto frame = read_frame(fd_.get(), &bytes);
            if (!frame) {
                why = "end of stream";
                break;
            }
            const std::string t = type_of(*frame);
            const std::uint64_t id = id_of(*frame);
            if (t == msg::reply) {
                if (id > ping_ids) {
                    // Only the answer to a ping sent and not yet answered: any other id proves nothing.
                    const std::uint64_t n = id - ping_ids;
                    std::uint64_t answered = pings_answered_.load();
                    if (n <= pings_sent_.load() && n > answered && pings_answered_.compare_exchange_strong(answered, n))
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
                    if (!box->answered) {  // a second reply to the same request is dropped, not queued
                        box->answered = true;
                        box->reply = std::move(*frame);
                        box->cv.notify_one();
                    }
                }
            } else if (t == msg::token || t == msg::call || t == msg::end_session || t == msg::end_sessions) {
                if (id == 0) throw channel_error("a worker request without an id");
                const std::uint64_t for_id = id_field(*frame, "for");
                std::shared_ptr<mailbox> box;
                if (for_id != 0) {
                    std::lock_guard lock(pending_mutex_);
                    if (auto it = pending_.find(for_id); it != pending_.end() && it->second->takes_calls) box = it->second;
                }
                bool queued_there = false;
                if (box) {
                    std::lock_guard lock(box->m);
                    if (!box->closed && !box->answered) {
                        box->inbox.push_back(admit(std::move(*frame), bytes, box->inbox.size(), max_mailbox_entries, "a request's mailbox"));
                        box->cv.notify_one();
                        queued_there = true;
                    }
                }
                if (!queued_there) {
                    std::lock_guard lock(fallback_mutex_);
                    fallback_.push_back(admit(std::move(*frame), bytes, fallback_.size(), max_fallback_entries, "the host's services"));
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

worker_link::queued worker_link::admit(json frame, std::size_t bytes, std::size_t entries, std::size_t bound,
                                       const char* what) {
    if (entries >= 2 * bound) throw channel_error(std::string("a worker flooded ") + what);
    const std::uint64_t id = id_of(frame);
    // Past a bound only a refusal is queued: a small entry answered at once.
    if (entries >= bound) return {refusal(id, "the host has too many requests from this worker waiting"), 0};
    if (queued_bytes_.load() + bytes > max_queued_bytes)
        return {refusal(id, "the host has too many bytes from this worker waiting"), 0};
    queued_bytes_ += bytes;
    return {std::move(frame), bytes};
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
    // Nothing more is served for a worker that is gone: its queued calls could still act on
    // other modules on its behalf.
    {
        std::lock_guard lock(fallback_mutex_);
        for (auto& q : fallback_) release(q);
        fallback_.clear();
    }
    fallback_cv_.notify_all();
}

void worker_link::fallback_loop() {
    for (;;) {
        queued next;
        {
            std::unique_lock lock(fallback_mutex_);
            fallback_cv_.wait(lock, [&] { return !fallback_.empty() || closing_ || ended_; });
            if (fallback_.empty()) return;
            next = std::move(fallback_.front());
            fallback_.pop_front();
        }
        release(next);
        serve_one(next.message);
    }
}

}  // namespace berth::host::isolate
