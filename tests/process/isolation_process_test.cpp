// Process isolation (issue 11) against the real berthd binary: a berthd killed with SIGKILL
// leaves no worker running (each sees its channel close and exits), a berthd stopped with
// SIGTERM stops and reaps every worker and exits 0, and the segfault a worker survives takes
// berthd down when the same module runs in-process (which is why isolation "process" exists).
// The test makes itself a child subreaper: a worker orphaned by berthd becomes its child, so a
// worker berthd left running or unreaped is seen, and reaped, here.
#include "support/child_processes.hpp"
#include "support/eventually.hpp"
#include "support/free_port.hpp"
#include "support/http_client.hpp"
#include "support/placement.hpp"
#include "support/test_host.hpp"

#include <gtest/gtest.h>

#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <fstream>
#include <map>
#include <stdexcept>

namespace berth::test {
namespace {

using namespace std::chrono_literals;

// berthd serving "fault" (the fault plugin) and "calm" (swap_probe), both with `isolation`.
class isolation_berthd {
public:
    isolation_berthd(const std::filesystem::path& dir, const std::string& isolation) : dir_(dir) {
        for (auto name : {"admin", "fault", "calm"}) ports_[name] = free_port();
        nlohmann::json modules = {
            {"fault", {{"library", test_plugin("fault").string()}, {"port", ports_["fault"]}, {"isolation", isolation}}},
            {"calm",
             {{"library", test_plugin("swap_probe_v1").string()}, {"port", ports_["calm"]}, {"isolation", isolation}}}};
        for (auto& [name, m] : modules.items()) {
            m["address"] = "127.0.0.1";
            run_as_test_user(m);  // as root berthd refuses a process module without a user
        }
        nlohmann::json config = {{"admin", {{"address", "127.0.0.1"}, {"port", ports_["admin"]}}},
                                 {"data_dir", (dir_ / "var").string()},
                                 {"threads", {{"io", 1}, {"workers", 2}}},
                                 {"shutdown_grace_ms", 2000},
                                 {"modules", modules}};
        std::ofstream(dir_ / "berth.json") << config.dump(2);
    }
    ~isolation_berthd() {
        if (pid_ > 0) {
            ::kill(pid_, SIGKILL);
            ::waitpid(pid_, nullptr, 0);
        }
    }

    // Returns once both modules serve; throws when berthd exits or 20 s pass first.
    void start() {
        const std::string config = (dir_ / "berth.json").string(), log = (dir_ / "berthd.log").string();
        pid_ = ::fork();
        if (pid_ < 0) throw std::runtime_error("fork failed");
        if (pid_ == 0) {
            ::prctl(PR_SET_CHILD_SUBREAPER, 0);  // only the test process adopts orphans
            const int fd = ::open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0600);
            if (fd >= 0) {
                ::dup2(fd, 1);
                ::dup2(fd, 2);
            }
            ::execl(BERTHD, BERTHD, "--config", config.c_str(), "--log-level", "warn", static_cast<char*>(nullptr));
            ::_exit(127);
        }
        const bool serving = eventually(
            [&] {
                if (exited()) return true;
                try {
                    auto r = http_request(ports_["admin"], "GET", "/healthz");
                    return r.status == 200 && r.json().value("serving", 0) == 2;
                } catch (const std::exception&) {  // not listening yet
                    return false;
                }
            },
            20s);
        if (!serving || pid_ <= 0) throw std::runtime_error("berthd did not serve both modules; its log:\n" + this->log());
    }
    // Whether berthd has ended (reaped here); its wait status is then status().
    bool exited() {
        if (pid_ <= 0) return true;
        if (::waitpid(pid_, &status_, WNOHANG) != pid_) return false;
        pid_ = -1;
        return true;
    }
    void signal_and_reap(int sig) {
        ::kill(pid_, sig);
        ::waitpid(pid_, &status_, 0);
        pid_ = -1;
    }
    pid_t pid() const { return pid_; }
    int status() const { return status_; }
    std::uint16_t port(const std::string& name) const { return ports_.at(name); }
    std::string log() const {
        std::ifstream in(dir_ / "berthd.log");
        return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
    }

private:
    std::filesystem::path dir_;
    std::map<std::string, std::uint16_t> ports_;
    pid_t pid_ = -1;
    int status_ = 0;
};

// This process adopts the orphans of its descendants while it lives; what it adopted and
// did not reap by then is killed and reaped at its end, so no test leaves a process behind.
class subreaper {
public:
    subreaper() { ::prctl(PR_SET_CHILD_SUBREAPER, 1); }
    ~subreaper() {
        for (auto& p : children_of(::getpid())) {
            ::kill(p.pid, SIGKILL);
            ::waitpid(p.pid, nullptr, 0);
        }
        ::prctl(PR_SET_CHILD_SUBREAPER, 0);
    }
};

// berthd's workers: its children, one per module here.
std::vector<pid_t> workers_of(pid_t berthd) {
    std::vector<pid_t> pids;
    for (auto& p : children_of(berthd)) pids.push_back(p.pid);
    return pids;
}

TEST(IsolationProcess, AfterBerthdIsKilledNoWorkerIsLeftWithinTwoSeconds) {
    subreaper adopt;
    temp_dir dir;
    isolation_berthd b(dir.path(), "process");
    b.start();
    const auto workers = workers_of(b.pid());
    ASSERT_EQ(workers.size(), 2u) << describe(children_of(b.pid()));

    b.signal_and_reap(SIGKILL);
    // The orphans are this process's children now: each must end (and is reaped here) within 2 s.
    std::vector<pid_t> running = workers;
    const bool all_ended = eventually(
        [&] {
            std::erase_if(running, [](pid_t w) { return ::waitpid(w, nullptr, WNOHANG) == w; });
            return running.empty();
        },
        2s);
    EXPECT_TRUE(all_ended) << running.size() << " worker(s) still running 2 s after berthd was killed";
}

TEST(IsolationProcess, SigtermStopsAndReapsEveryWorkerAndBerthdExitsZero) {
    subreaper adopt;
    temp_dir dir;
    isolation_berthd b(dir.path(), "process");
    b.start();
    const auto workers = workers_of(b.pid());
    ASSERT_EQ(workers.size(), 2u) << describe(children_of(b.pid()));

    b.signal_and_reap(SIGTERM);
    EXPECT_TRUE(WIFEXITED(b.status()) && WEXITSTATUS(b.status()) == 0) << "wait status " << b.status() << "\n"
                                                                         << b.log();
    // berthd reaped each: none was left to this process, running (0) or as a zombie (its pid).
    for (pid_t w : workers) {
        errno = 0;
        const pid_t r = ::waitpid(w, nullptr, WNOHANG);
        EXPECT_TRUE(r == -1 && errno == ECHILD) << "worker " << w << (r == 0 ? " left running" : " left unreaped");
    }
}

TEST(IsolationProcess, TheSameSegfaultInProcessTakesBerthdDown) {
    temp_dir dir;
    isolation_berthd b(dir.path(), "in-process");
    b.start();
    ASSERT_TRUE(workers_of(b.pid()).empty()) << "in-process modules run in berthd itself";

    try {
        auto r = http_request(b.port("fault"), "POST", "/v1/fault/segfault");
        ADD_FAILURE() << "berthd answered " << r.status << ": " << r.body;
    } catch (const std::exception&) {  // the connection died with berthd
    }
    ASSERT_TRUE(eventually([&] { return b.exited(); })) << "berthd survived a segfault in a module";
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)  // the sanitizer reports it, then exits or aborts
    EXPECT_TRUE(WIFSIGNALED(b.status()) || (WIFEXITED(b.status()) && WEXITSTATUS(b.status()) != 0))
        << "wait status " << b.status();
#else
    EXPECT_TRUE(WIFSIGNALED(b.status()) && WTERMSIG(b.status()) == SIGSEGV) << "wait status " << b.status();
#endif
    EXPECT_TRUE(port_is_released(b.port("calm"))) << "the other module went down with it";
}

}  // namespace
}  // namespace berth::test
