// What confines berth-worker: the limits and user it applies before the plugin is mapped, the
// descriptors it holds, pings answered whatever its handlers do, and how it ends.
#include "host/worker_child.hpp"

#include <gtest/gtest.h>

#include <pwd.h>

#include <algorithm>
#include <filesystem>

namespace {

using namespace berth::test::worker;

TEST(WorkerConfinement, ARunAsUserWithoutRootFailsAtWorker) {
    if (geteuid() == 0) GTEST_SKIP() << "runs as root: dropping to a user would succeed";
    worker_child w(probe_image());
    auto r = w.ask({{"t", msg::load}, {"module", "probe"}, {"threads", 1}, {"user", "nobody"}});
    EXPECT_FALSE(r.value("ok", true));
    EXPECT_EQ(r.value("step", ""), "worker") << r.dump();
    EXPECT_NE(r.value("error", "").find("root"), std::string::npos) << r.dump();
}

// The line of /proc/<pid>/<file> that starts with `key`.
std::string proc_line(pid_t pid, const std::string& file, const std::string& key) {
    std::ifstream in("/proc/" + std::to_string(pid) + "/" + file);
    for (std::string line; std::getline(in, line);)
        if (line.rfind(key, 0) == 0) return line;
    return {};
}

TEST(WorkerConfinement, LoadAppliesTheLimitsAndNamesTheProcessForTheModule) {
    worker_child w(probe_image());
    auto r = w.ask({{"t", msg::load}, {"module", "probe"}, {"threads", 1}, {"memory_limit_mb", 512}, {"max_open_files", 64}});
    ASSERT_TRUE(r.value("ok", false)) << r.dump();
    EXPECT_NE(proc_line(w.pid(), "limits", "Max open files").find(" 64 "), std::string::npos);
    EXPECT_NE(proc_line(w.pid(), "limits", "Max core file size").find(" 0 "), std::string::npos);
    EXPECT_EQ(proc_line(w.pid(), "status", "NoNewPrivs:"), "NoNewPrivs:\t1");
    EXPECT_EQ(proc_line(w.pid(), "comm", "berth:"), "berth:probe");
    const bool asan = !w.logs.empty() && w.logs.front().find("AddressSanitizer") != std::string::npos;
    if (!asan) EXPECT_NE(proc_line(w.pid(), "limits", "Max address space").find(" 536870912 "), std::string::npos);
}

// Up with one handler thread, and a request on it that holds it: the relay route's call to the
// host, which the test does not answer. The call it returns shows the handler runs.
json hold_the_only_handler(worker_child& w, std::int64_t handle_id) {
    auto manifest = bring_up(w, 1);
    w.send({{"t", msg::handle}, {"id", handle_id}, {"route", route_index(manifest, "GET", "/v1/relay")},
            {"method", "GET"}, {"target", "/v1/relay"}, {"path", "/v1/relay"}, {"request_id", "req-held"}});
    auto call = w.next_of(msg::call);
    if (!call) throw std::runtime_error("the held request's handler never called the host");
    return *call;
}

// A failure bound: an answer or an exit that should come at once.
constexpr milliseconds at_once{2000};

TEST(WorkerConfinement, APingIsAnsweredWhileEveryHandlerThreadIsStuck) {
    worker_child w(probe_image());
    auto call = hold_the_only_handler(w, 500);
    ASSERT_EQ(call.value("for", 0), 500) << call.dump();
    w.send({{"t", msg::ping}, {"id", 501}});
    auto pong = w.reply_to(501, at_once);
    ASSERT_TRUE(pong) << "no answer to the ping while the handler is held";
    EXPECT_TRUE(pong->value("ok", false)) << pong->dump();
    // The handler was held all along: its request is answered only once its call is.
    EXPECT_TRUE(std::none_of(w.others.begin(), w.others.end(), [](const json& m) { return m.value("id", 0) == 500; }));
    w.send({{"t", msg::reply}, {"id", call.at("id")}, {"ok", true}, {"status", 200}, {"body", json::binary({})}});
    auto answer = w.reply_to(500);
    ASSERT_TRUE(answer);
    EXPECT_EQ(answer->value("status", 0), 200) << answer->dump();
}

// The descriptor numbers a process holds.
std::vector<int> open_fds(pid_t pid) {
    std::vector<int> fds;
    for (const auto& e : std::filesystem::directory_iterator("/proc/" + std::to_string(pid) + "/fd"))
        fds.push_back(std::stoi(e.path().filename().string()));
    std::sort(fds.begin(), fds.end());
    return fds;
}

TEST(WorkerConfinement, ALoadedWorkerHoldsOnlyStdioAndItsChannel) {
    worker_child w(probe_image(), "7<&4");  // a careless spawner leaves one more descriptor open
    ASSERT_TRUE(w.load().value("ok", false));
    EXPECT_EQ(open_fds(w.pid()), (std::vector<int>{0, 1, 2, 3}));  // not the image (4), not the stray (7)
}

TEST(WorkerConfinement, AsRootTheWorkerDropsToTheUserBeforeItLoadsAndStillServes) {
    if (geteuid() != 0) GTEST_SKIP() << "needs root to change user";
    const passwd* nobody = getpwnam("nobody");
    ASSERT_NE(nobody, nullptr);
    const std::string id = std::to_string(nobody->pw_uid);
    worker_child w(probe_image());
    auto r = w.ask({{"t", msg::load}, {"module", "probe"}, {"threads", 1}, {"user", "nobody"}});
    ASSERT_TRUE(r.value("ok", false)) << r.dump();
    EXPECT_EQ(proc_line(w.pid(), "status", "Uid:"), "Uid:\t" + id + "\t" + id + "\t" + id + "\t" + id);
    ASSERT_TRUE(w.ask({{"t", msg::create}, {"settings", "{}"}}).value("ok", false));
    auto d = w.ask({{"t", msg::describe}});
    ASSERT_TRUE(d.value("ok", false)) << d.dump();
    auto manifest = json::parse(d.at("manifest").get<std::string>());
    auto got = get(w, manifest, "/v1/items/{id}", "/v1/items/5", json::array({json::array({"id", "5"})}));
    EXPECT_EQ(got.value("status", 0), 200) << got.dump();
}

TEST(WorkerConfinement, AnUnknownUserFailsAtWorker) {
    if (geteuid() != 0) GTEST_SKIP() << "without root every user fails the same way (WorkerConfinement.ARunAsUserWithoutRootFailsAtWorker)";
    worker_child w(probe_image());
    auto r = w.ask({{"t", msg::load}, {"module", "probe"}, {"threads", 1}, {"user", "no-such-berth-user"}});
    EXPECT_FALSE(r.value("ok", true));
    EXPECT_EQ(r.value("step", ""), "worker") << r.dump();
    EXPECT_NE(r.value("error", "").find("does not exist"), std::string::npos) << r.dump();
}

TEST(WorkerConfinement, TheWorkerExitsWhenTheHostClosesItsChannel) {
    worker_child w(probe_image());
    bring_up(w);
    const auto status = w.close_and_wait();
    ASSERT_TRUE(status) << "still running after its channel closed";
    ASSERT_TRUE(WIFEXITED(*status)) << *status;
    EXPECT_EQ(WEXITSTATUS(*status), 0);
}

TEST(WorkerConfinement, TheWorkerExitsOnEndOfStreamEvenWithEveryHandlerThreadStuck) {
    worker_child w(probe_image());
    auto call = hold_the_only_handler(w, 900);
    ASSERT_EQ(call.value("for", 0), 900) << call.dump();  // it runs, and never returns by itself
    const auto status = w.close_and_wait(at_once);
    ASSERT_TRUE(status) << "still running 2 s after its channel closed";
    ASSERT_TRUE(WIFEXITED(*status)) << *status;
    EXPECT_EQ(WEXITSTATUS(*status), 0);
}

TEST(WorkerConfinement, TheWorkerRefusesToRunWithoutItsChannel) {
    // fd 3 is not a socket, and the refusal it prints stays out of the test log.
    worker_child w(probe_image(), "3</dev/null 2>/dev/null");
    const auto status = w.wait();
    ASSERT_TRUE(status) << "still running without its channel";
    ASSERT_TRUE(WIFEXITED(*status)) << *status;
    EXPECT_EQ(WEXITSTATUS(*status), 2);
}

}  // namespace
