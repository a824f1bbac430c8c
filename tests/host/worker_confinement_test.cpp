// What confines berth-worker: the limits and user it applies before the plugin is mapped, the
// descriptors it holds, pings behind requests, and how it ends.
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

TEST(WorkerConfinement, APingWaitsBehindTheRequestsOnTheHandlerThreads) {
    berth::test::temp_dir latches;
    worker_child w(probe_image());
    ASSERT_TRUE(w.ask({{"t", msg::load}, {"module", "probe"}, {"threads", 1}}).value("ok", false));
    ASSERT_TRUE(w.ask({{"t", msg::create}, {"settings", json{{"latch_dir", latches.path().string()}}.dump()}}).value("ok", false));
    auto d = w.ask({{"t", msg::describe}});
    ASSERT_TRUE(w.ask({{"t", msg::start}}).value("ok", false));
    auto manifest = json::parse(d.at("manifest").get<std::string>());
    w.send({{"t", msg::handle}, {"id", 500}, {"route", route_index(manifest, "GET", "/v1/latch/{name}")},
            {"method", "GET"}, {"target", "/v1/latch/held"}, {"path", "/v1/latch/held"},
            {"params", json::array({json::array({"name", "held"})})}});
    w.send({{"t", msg::ping}, {"id", 501}});
    std::ofstream(latches.path() / "held").flush();  // lets the request go
    auto first = w.next(), second = w.next();
    EXPECT_EQ(first.value("id", 0), 500) << first.dump();
    EXPECT_EQ(first.value("status", 0), 200) << first.dump();
    EXPECT_EQ(second.value("id", 0), 501) << second.dump();
    EXPECT_TRUE(second.value("ok", false)) << second.dump();
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
    worker_child w(probe_image(), true, true);
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
    const int status = w.close_and_wait();
    ASSERT_TRUE(WIFEXITED(status)) << status;
    EXPECT_EQ(WEXITSTATUS(status), 0);
}

TEST(WorkerConfinement, TheWorkerExitsOnEndOfStreamEvenWithEveryHandlerThreadStuck) {
    berth::test::temp_dir latches;  // never opened: the request holds its thread
    worker_child w(probe_image());
    ASSERT_TRUE(w.ask({{"t", msg::load}, {"module", "probe"}, {"threads", 1}}).value("ok", false));
    ASSERT_TRUE(w.ask({{"t", msg::create}, {"settings", json{{"latch_dir", latches.path().string()}}.dump()}}).value("ok", false));
    auto d = w.ask({{"t", msg::describe}});
    ASSERT_TRUE(w.ask({{"t", msg::start}}).value("ok", false));
    auto manifest = json::parse(d.at("manifest").get<std::string>());
    w.send({{"t", msg::handle}, {"id", 900}, {"route", route_index(manifest, "GET", "/v1/latch/{name}")},
            {"method", "GET"}, {"target", "/v1/latch/stuck"}, {"path", "/v1/latch/stuck"},
            {"params", json::array({json::array({"name", "stuck"})})}});
    const int status = w.close_and_wait();  // the latch waits 30 s: only _exit ends it sooner
    ASSERT_TRUE(WIFEXITED(status)) << status;
    EXPECT_EQ(WEXITSTATUS(status), 0);
}

TEST(WorkerConfinement, TheWorkerRefusesToRunWithoutItsChannel) {
    worker_child w(probe_image(), false);
    const int status = w.wait();
    ASSERT_TRUE(WIFEXITED(status)) << status;
    EXPECT_EQ(WEXITSTATUS(status), 2);
}

}  // namespace
