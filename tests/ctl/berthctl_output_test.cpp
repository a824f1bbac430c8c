// berthctl never passes a terminal control sequence from the server's text to the operator's
// terminal, and warns before it sends the admin token to a host that is not loopback.
#include "run_berthctl.hpp"

#include "support/test_host.hpp"

#include <gtest/gtest.h>

namespace berth::test {
namespace {

std::string shown(const ctl_result& r) {
    return "exit " + std::to_string(r.exit_code) + "\n--- stdout\n" + r.out + "--- stderr\n" + r.err;
}

// ESC (an OSC title change and a CSI colour), BEL, the C1 CSI as UTF-8, DEL and U+2028.
const std::string hostile = "evil\x1b]0;owned\x07\x1b[31m\xc2\x9b" "1m\x7f\xe2\x80\xa8" "end";

bool has_control(const std::string& text) {
    for (std::size_t i = 0; i < text.size(); ++i) {
        const auto c = static_cast<unsigned char>(text[i]);
        if ((c < 0x20 && c != '\n') || c == 0x7f) return true;
        if (c == 0xc2 && i + 1 < text.size() && static_cast<unsigned char>(text[i + 1]) <= 0x9f) return true;
        if (text.compare(i, 3, "\xe2\x80\xa8") == 0 || text.compare(i, 3, "\xe2\x80\xa9") == 0) return true;
    }
    return false;
}

class BerthctlOutput : public ::testing::Test {
protected:
    BerthctlOutput() : host_({{"probe", test_plugin("swap_probe_v1")}}) {}
    ctl_result ctl(std::vector<std::string> args) { return run_berthctl_against(host_.admin_port(), host_.data_dir(), args); }
    test_host host_;
};

TEST_F(BerthctlOutput, ARefusalQuotingHostileTextPrintsNoControlCharacter) {
    // The host's refusal names the library asked for; its name carries the controls.
    auto r = ctl({"reload", "probe", "--library", (host_.data_dir() / (hostile + ".so")).string()});
    ASSERT_EQ(r.exit_code, 1) << shown(r);
    ASSERT_NE(r.err.find("evil"), std::string::npos) << shown(r);  // the text is shown...
    EXPECT_FALSE(has_control(r.err)) << shown(r);                   // ...without what a terminal obeys
    EXPECT_FALSE(has_control(r.out)) << shown(r);
}

TEST_F(BerthctlOutput, JsonOutputEscapesControlCharacters) {
    auto r = ctl({"--json", "reload", "probe", "--library", (host_.data_dir() / (hostile + ".so")).string()});
    ASSERT_EQ(r.exit_code, 1) << shown(r);
    ASSERT_NE(r.out.find("evil"), std::string::npos) << shown(r);
    EXPECT_NE(r.out.find("\\u001b]0;owned"), std::string::npos) << shown(r);  // the host's text had them
    EXPECT_FALSE(has_control(r.out)) << shown(r);
}

TEST_F(BerthctlOutput, ALoopbackUrlGetsNoWarning) {
    auto r = ctl({"status"});
    ASSERT_EQ(r.exit_code, 0) << shown(r);
    EXPECT_EQ(r.err.find("warning"), std::string::npos) << shown(r);
}

TEST(BerthctlUrl, AHostThatIsNotLoopbackGetsAWarningAboutTheToken) {
    // 192.0.2.1 is TEST-NET-1: never answers, so berthctl ends unreachable after its timeout.
    auto r = run_berthctl({"--url", "http://192.0.2.1:9", "--timeout", "0.2", "status"});
    EXPECT_EQ(r.exit_code, 3) << shown(r);
    EXPECT_NE(r.err.find("warning: 192.0.2.1 is not a loopback address"), std::string::npos) << shown(r);
}

}  // namespace
}  // namespace berth::test
