// berthctl on a host with a process module (issue 11): `show` says where the module runs and
// what its worker is doing, `plugins` has the placement in a column.
#include "run_berthctl.hpp"

#include "support/test_host.hpp"

#include <gtest/gtest.h>

#include <regex>

namespace berth::test {
namespace {

std::string shown(const ctl_result& r) {
    return "exit " + std::to_string(r.exit_code) + "\n--- stdout\n" + r.out + "--- stderr\n" + r.err;
}

class BerthctlIsolation : public ::testing::Test {
protected:
    BerthctlIsolation()
        : host_({{"api", test_plugin("swap_probe_v1"), {{"isolation", "process"}}}, {"local", test_plugin("swap_probe_v2")}}) {}
    ctl_result ctl(std::vector<std::string> args) { return run_berthctl_against(host_.admin_port(), host_.data_dir(), args); }
    test_host host_;
};

TEST_F(BerthctlIsolation, ShowPrintsTheIsolationAndTheWorkersPidStateAndRestarts) {
    const int pid = host_.admin("GET", "/modules/api").json()["active"]["worker"]["pid"].get<int>();
    auto r = ctl({"show", "api"});
    ASSERT_EQ(r.exit_code, 0) << shown(r);
    EXPECT_NE(r.out.find("\nisolation     process\n"), std::string::npos) << shown(r);
    EXPECT_NE(r.out.find("\nworker        pid " + std::to_string(pid) + ", serving, 0 restarts\n"), std::string::npos)
        << shown(r);
}

TEST_F(BerthctlIsolation, ThePluginsTableSaysWhichModuleRunsInAProcess) {
    auto r = ctl({"plugins"});
    ASSERT_EQ(r.exit_code, 0) << shown(r);
    EXPECT_TRUE(std::regex_search(r.out, std::regex("\napi +serving .* process +[0-9]+ "))) << shown(r);
    EXPECT_TRUE(std::regex_search(r.out, std::regex("\nlocal +serving .* in-process +[0-9]+ "))) << shown(r);
}

}  // namespace
}  // namespace berth::test
