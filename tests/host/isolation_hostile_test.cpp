// Issue 11, the attacker review: the worker runs untrusted code and may send anything on fd 3.
// What it sends is bounded on the host: calls nested on one host thread, calls "for" a lifecycle
// request, queued requests (entries and bytes), faked pongs, a frame it takes slowly, its log
// lines; and what it is given: no root without a user, first for the OOM killer, no terminal.
#include "isolate/frame.hpp"
#include "isolate/log_budget.hpp"
#include "isolate/protocol.hpp"
#include "isolate/worker_link.hpp"
#include "support/file_host.hpp"
#include "support/http_client.hpp"
#include "support/test_host.hpp"

#include <gtest/gtest.h>

#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <future>
#include <optional>
#include <thread>

namespace berth::test {
namespace {

namespace isolate = berth::host::isolate;
namespace msg = berth::host::isolate::msg;
using isolate::worker_link;
using nlohmann::json;
using namespace std::chrono_literals;

// --- With a real host and the hostile plugin (tests/plugins/hostile.cpp) ---

nlohmann::json hostile_module() {
    // A handler thread per nesting level: more than the host lets calls nest.
    return {{"isolation", "process"}, {"limits", {{"max_in_flight", 12}}}};
}

TEST(HostileWorker, CallsForTheRequestBeingServedNestOnlyEightDeepOnTheHostsThread) {
    test_host host({{"api", test_plugin("hostile"), hostile_module()}});
    // Each level nests on one host thread's stack; without the bound a worker sending its calls
    // raw nested until berthd's stack overflowed. Here the worker's 12 handler threads allow 12.
    auto r = http_request(host.port("api"), "GET", "/v1/recurse");
    EXPECT_EQ(r.status, 200) << r.body;
    auto levels = http_request(host.port("api"), "GET", "/v1/levels");
    ASSERT_EQ(levels.status, 200) << levels.body;
    // The first request and one level per nested call the host served; the next was refused.
    EXPECT_EQ(levels.json()["levels"], 1 + worker_link::max_nesting) << levels.body;
}

std::string proc_text(int pid, const std::string& file) {
    std::ifstream in("/proc/" + std::to_string(pid) + "/" + file);
    std::string s;
    std::getline(in, s);
    return s;
}

int worker_pid(test_host& host) {
    auto r = http_request(host.port("api"), "GET", "/v1/pid");
    if (r.status != 200) throw std::runtime_error("GET /v1/pid: " + r.body);
    return r.json()["pid"].get<int>();
}

TEST(HostileWorker, TheWorkerIsTheOomKillersFirstChoice) {
    test_host host({{"api", test_plugin("hostile"), hostile_module()}});
    EXPECT_EQ(proc_text(worker_pid(host), "oom_score_adj"), "1000");
}

TEST(HostileWorker, TheWorkerReadsNothingFromBerthdsStdinAndHasASessionOfItsOwn) {
    test_host host({{"api", test_plugin("hostile"), hostile_module()}});
    const int pid = worker_pid(host);
    EXPECT_EQ(std::filesystem::read_symlink("/proc/" + std::to_string(pid) + "/fd/0"), "/dev/null");
    EXPECT_EQ(::getsid(pid), pid) << "the worker stays in berthd's session (its terminal)";
    EXPECT_EQ(::getpgid(pid), pid);
}

TEST(HostileWorker, AsRootAProcessModuleWithoutAUserFailsAtStepWorkerSayingWhy) {
    if (::geteuid() != 0) GTEST_SKIP() << "only berthd running as root refuses it";
    // From a config file as an operator writes it (test_host would name a user: support/placement.hpp).
    file_host host({{"api", module_entry(test_plugin("versioned_1_0"), {{"isolation", "process"}})}},
                   {{"worker_executable", BERTH_WORKER_PATH}});
    auto s = host.admin("GET", "/modules/api").json();
    ASSERT_TRUE(s["last_error"].is_object()) << s.dump();
    EXPECT_EQ(s["last_error"]["step"], "worker");
    EXPECT_NE(s["last_error"]["message"].get<std::string>().find("runs as root"), std::string::npos) << s.dump();
    EXPECT_TRUE(s["active"].is_null()) << s.dump();
}

// --- The host's end of the channel (worker_link), with this test as the worker ---

struct fake_worker {
    int fd = -1;  // the worker's end
    std::shared_ptr<worker_link> link;
    std::promise<void> noticed, noticed_twice;  // log notices: everything sent before them was read
    std::atomic<int> notices{0};

    explicit fake_worker(worker_link::handlers h = {}, std::chrono::milliseconds write_timeout = 2000ms) {
        int pair[2];
        if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, pair) != 0) throw std::runtime_error("socketpair");
        fd = pair[1];
        h.notice = [this](const json&) {
            const int n = ++notices;
            if (n == 1) noticed.set_value();
            if (n == 2) noticed_twice.set_value();
        };
        link = std::make_shared<worker_link>(isolate::unique_fd(pair[0]), std::move(h), write_timeout);
    }
    ~fake_worker() {
        link->close();
        ::close(fd);
    }
    void send(const json& m) { isolate::write_frame(fd, m); }
    json read() {
        auto m = isolate::read_frame(fd);
        if (!m) throw std::runtime_error("the link closed");
        return *m;
    }
    // The next frame, or nothing when none starts arriving within `wait`.
    std::optional<json> read_within(std::chrono::milliseconds wait) {
        pollfd p{fd, POLLIN, 0};
        if (::poll(&p, 1, static_cast<int>(wait.count())) <= 0) return std::nullopt;
        return read();
    }
    // Everything sent so far has been read by the link's reader.
    void sync() {
        send({{"t", msg::log}, {"level", 0}, {"message", "sync"}});
        if (noticed.get_future().wait_for(5s) != std::future_status::ready) throw std::runtime_error("no notice");
    }
};

json call_for(std::uint64_t id, std::uint64_t for_id, std::size_t body_bytes = 0) {
    return {{"t", msg::call}, {"id", id}, {"for", for_id}, {"module", "x"}, {"method", "GET"}, {"target", "/"},
            {"body", json::binary(std::vector<std::uint8_t>(body_bytes, 'b'))}};
}

TEST(HostileLink, OnlyTheAnswerToAPingSentCountsAsAPong) {
    fake_worker w;
    const auto before = w.link->last_pong();
    w.send({{"t", msg::reply}, {"id", (std::uint64_t(1) << 62) + 1}, {"ok", true}});  // no ping was sent
    w.send({{"t", msg::reply}, {"id", ~std::uint64_t(0)}, {"ok", true}});
    w.sync();
    EXPECT_EQ(w.link->last_pong(), before) << "a pong nobody asked for counted as a heartbeat";
    // The same reply to a ping really sent counts.
    w.link->ping();
    auto ping = w.read();
    ASSERT_EQ(ping.value("t", ""), msg::ping);
    w.send({{"t", msg::reply}, {"id", ping["id"]}, {"ok", true}});
    w.send({{"t", msg::log}, {"level", 0}, {"message", "second"}});
    ASSERT_EQ(w.noticed_twice.get_future().wait_for(5s), std::future_status::ready);
    EXPECT_GT(w.link->last_pong(), before);
}

TEST(HostileLink, ACallForALifecycleRequestIsServedOnTheFallbackThreadNotInsideItsDeadline) {
    std::atomic<std::thread::id> served_on{};
    worker_link::handlers h;
    h.serve = [&](const json&) {
        served_on = std::this_thread::get_id();
        return json{{"ok", true}};
    };
    fake_worker w(h);
    for (const auto& type : {msg::handle, msg::stop}) {
        std::thread::id asker;
        auto asked = std::async(std::launch::async, [&] {
            asker = std::this_thread::get_id();
            return w.link->request(json{{"t", type}}, worker_link::clock::now() + 5s);
        });
        auto request = w.read();
        w.send(call_for(7, request["id"]));
        auto answer = w.read();  // the call's reply
        EXPECT_EQ(answer.value("id", 0), 7);
        w.send({{"t", msg::reply}, {"id", request["id"]}, {"ok", true}});
        ASSERT_TRUE(asked.get().reply);
        if (type == msg::handle) EXPECT_EQ(served_on.load(), asker) << "a handle's call runs on the thread waiting for it";
        else EXPECT_NE(served_on.load(), asker) << "a call for " << type << " ran on the thread waiting for it";
    }
}

// Holds a handle request open on another thread while its first call blocks in serve(); the
// worker then sends `more` calls for it. Returns each call's reply error ("" when served).
std::vector<std::string> queue_behind_a_blocked_call(std::size_t more, std::size_t body_bytes) {
    std::promise<void> release;
    auto released = release.get_future().share();
    std::atomic<int> serving{0};
    worker_link::handlers h;
    std::promise<void> entered;
    h.serve = [&](const json&) {
        if (serving++ == 0) {
            entered.set_value();
            released.wait();
        }
        return json{{"ok", true}};
    };
    fake_worker w(h);
    auto asked = std::async(std::launch::async, [&] { return w.link->request(json{{"t", msg::handle}}, worker_link::clock::now() + 30s); });
    const auto id = w.read()["id"].get<std::uint64_t>();
    w.send(call_for(1, id, body_bytes));
    entered.get_future().wait();  // the first call is out of the mailbox, being served
    for (std::size_t i = 0; i < more; ++i) w.send(call_for(2 + i, id, body_bytes));
    w.sync();
    release.set_value();
    std::vector<std::string> errors;
    for (std::size_t i = 0; i < more + 1; ++i) {
        auto r = w.read();
        errors.push_back(r.value("ok", false) ? "" : r.value("error", "?"));
    }
    w.send({{"t", msg::reply}, {"id", id}, {"ok", true}});
    if (!asked.get().reply) throw std::runtime_error("the handle request got no reply");
    return errors;
}

TEST(HostileLink, AMailboxHoldsThirtyTwoCallsAndRefusesTheRest) {
    auto errors = queue_behind_a_blocked_call(worker_link::max_mailbox_entries + 8, 0);
    std::size_t served = 0, refused = 0;
    for (auto& e : errors) (e.empty() ? served : refused) += 1;
    EXPECT_EQ(served, 1 + worker_link::max_mailbox_entries);  // the one being served and the queue
    EXPECT_EQ(refused, 8u);
    EXPECT_NE(errors.back().find("too many requests"), std::string::npos) << errors.back();
}

TEST(HostileLink, CallsQueuedPastTheBytesBoundAreRefused) {
    const std::size_t body = 4u << 20;  // 4 MiB each: 20 of them fill the 80 MiB bound
    const std::size_t more = worker_link::max_queued_bytes / body + 4;
    ASSERT_LT(more, worker_link::max_mailbox_entries);  // refused for their bytes, not their number
    auto errors = queue_behind_a_blocked_call(more, body);
    std::size_t refused = 0;
    for (auto& e : errors) refused += e.find("too many bytes") != std::string::npos;
    EXPECT_GE(refused, 4u);
    EXPECT_TRUE(errors.front().empty());
}

TEST(HostileLink, AWorkerTakingAFrameAByteAtATimeIsCutOffAtTheWritesDeadline) {
    fake_worker w({}, 300ms);
    const int small = 4096;
    ::setsockopt(w.fd, SOL_SOCKET, SO_RCVBUF, &small, sizeof small);
    std::atomic<bool> done{false};
    std::thread trickle([&] {  // 4 KiB per 20 ms: 8 MiB would take 40 s; gives up after 20 s
        std::vector<char> buf(4096);
        for (int i = 0; i < 1000 && !done; ++i) {
            if (::read(w.fd, buf.data(), buf.size()) <= 0) break;
            std::this_thread::sleep_for(20ms);
        }
    });
    auto out = w.link->request(json{{"t", msg::handle}, {"body", json::binary(std::vector<std::uint8_t>(8u << 20, 'x'))}});
    done = true;
    w.link->close();
    trickle.join();
    EXPECT_FALSE(out.reply);
    EXPECT_FALSE(out.sent) << "the frame was not taken within its deadline, so it counts as never sent";
}

// --- The worker's log lines in berthd's log ---

TEST(WorkerLogBudget, ABurstPastTheBudgetIsDroppedCountedAndToldOncePerSecond) {
    isolate::log_budget b(200, 400);
    const auto t0 = isolate::log_budget::clock::now();
    int taken = 0;
    for (int i = 0; i < 1000; ++i) taken += b.take(t0);
    EXPECT_EQ(taken, 400);
    EXPECT_EQ(b.report(t0), 600u);
    EXPECT_FALSE(b.take(t0));
    EXPECT_FALSE(b.report(t0 + 500ms)) << "a second warning within the second";
    // A second later: 200 lines more, and the one dropped meanwhile is told.
    taken = 0;
    for (int i = 0; i < 300; ++i) taken += b.take(t0 + 1s);
    EXPECT_EQ(taken, 200);
    EXPECT_EQ(b.report(t0 + 1s), 101u);
}

TEST(WorkerLogBudget, ALogLineIsCutAt64KiBOnACharacterBoundary) {
    std::string line(isolate::max_log_line - 1, 'a');
    line += "\xC3\xA9" + std::string(1000, 'b');  // an "é" across the cut
    const auto cut = isolate::cut_log_line(line);
    EXPECT_EQ(cut.rfind(std::string(isolate::max_log_line - 1, 'a') + " [cut", 0), 0u) << cut.substr(cut.size() - 40);
    EXPECT_LT(cut.size(), isolate::max_log_line + 32);
    EXPECT_EQ(isolate::cut_log_line("short"), "short");
}

// A worker that answers each of the host's replies with another call for the same request never
// lets its mailbox run dry: the request's deadline must still end it (second review 1).
TEST(HostileLink, CallsStreamedForARequestDoNotHoldItPastItsDeadline) {
    worker_link::handlers h;
    h.serve = [](const json&) { return json{{"ok", true}}; };
    fake_worker w(h);
    std::atomic<bool> returned{false};
    auto asked = std::async(std::launch::async, [&] {
        auto out = w.link->request(json{{"t", msg::handle}}, worker_link::clock::now() + 300ms);
        returned = true;
        return out;
    });
    const auto id = w.read()["id"].get<std::uint64_t>();
    constexpr int cap = 200'000;  // far longer than 300 ms of round trips
    int sent = 0;
    w.send(call_for(1, id));
    ++sent;
    while (!returned && sent < cap) {
        // A reply to our call; the one sent as the deadline passed is dropped unanswered.
        auto r = w.read_within(100ms);
        if (!r || r->value("t", "") != msg::reply) continue;
        w.send(call_for(2 + sent, id));
        ++sent;
    }
    auto out = asked.get();
    EXPECT_TRUE(out.timed_out);
    EXPECT_LT(sent, cap) << "the request ran only once the worker stopped calling";
}

// Once the worker is gone, calls it queued for the fallback thread are dropped, not served: they
// would act on other modules for a worker that no longer exists (second review 7).
TEST(HostileLink, CallsQueuedOnTheFallbackAreDroppedWhenTheWorkerEnds) {
    std::promise<void> entered, release;
    auto released = release.get_future().share();
    std::atomic<int> served{0};
    worker_link::handlers h;
    h.serve = [&](const json&) {
        if (served++ == 0) {
            entered.set_value();
            released.wait();
        }
        return json{{"ok", true}};
    };
    std::promise<void> ended;
    h.ended = [&](const std::string&) { ended.set_value(); };
    fake_worker w(h);
    w.send(call_for(1, 0));
    entered.get_future().wait();  // the fallback thread is inside the first call
    for (int i = 0; i < 5; ++i) w.send(call_for(2 + i, 0));
    w.sync();
    ::shutdown(w.fd, SHUT_RDWR);  // the worker is gone
    ASSERT_EQ(ended.get_future().wait_for(5s), std::future_status::ready);
    release.set_value();
    w.link->close();  // joins the fallback thread
    EXPECT_EQ(served.load(), 1);
}

}  // namespace
}  // namespace berth::test
