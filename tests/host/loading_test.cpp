// Loading: a plugin that cannot be loaded is rejected with a reason that names the file and
// what differs, and never stops the host or the other plugins.
#include <berth/abi.h>

#include "support/http_client.hpp"
#include "support/process_maps.hpp"
#include "support/test_host.hpp"

#include <gtest/gtest.h>

#include <elf.h>

#include <cstring>
#include <fstream>

namespace berth::test {
namespace {

struct bad_case {
    std::string name;
    std::string step;
    std::string says;  // a fragment the reason must contain
};

class Loading : public ::testing::Test {
protected:
    static void SetUpTestSuite() {
        files_ = new temp_dir();
        auto not_elf = files_->path() / "not_elf.so";
        std::ofstream(not_elf) << "#!/bin/sh\necho this is not a shared object\n";
        auto truncated = files_->path() / "truncated.so";
        {
            std::ifstream in(shipped_plugin("greeter"), std::ios::binary);
            std::string bytes((std::istreambuf_iterator<char>(in)), {});
            std::ofstream(truncated, std::ios::binary) << bytes.substr(0, 200);
            // The greeter with its .dynsym one byte short of whole entries (what the fuzzer found
            // made Boost.DLL index an empty vector).
            Elf64_Ehdr eh;
            std::memcpy(&eh, bytes.data(), sizeof eh);
            for (unsigned i = 0; i < eh.e_shnum; ++i) {
                Elf64_Shdr sh;
                std::memcpy(&sh, bytes.data() + eh.e_shoff + i * sizeof sh, sizeof sh);
                if (sh.sh_type != SHT_DYNSYM) continue;
                sh.sh_size -= 1;
                std::memcpy(bytes.data() + eh.e_shoff + i * sizeof sh, &sh, sizeof sh);
            }
            std::ofstream(files_->path() / "partial_symbol.so", std::ios::binary) << bytes;
        }
        host_ = new test_host({
            {"greeter", shipped_plugin("greeter")},
            {"wrong-abi", test_plugin("wrong_abi")},
            {"wrong-arch", test_plugin("wrong_arch")},
            {"failing-start", test_plugin("failing_start")},
            {"not-elf", not_elf},
            {"truncated", truncated},
            {"partial-symbol", files_->path() / "partial_symbol.so"},
            {"missing", files_->path() / "nowhere.so"},
            {"not-a-plugin", BERTH_FOREIGN_SO},
        });
    }
    static void TearDownTestSuite() {
        delete host_;
        delete files_;
    }
    static nlohmann::json admin_status(const std::string& name) {
        auto r = host_->admin("GET", "/modules/" + name);
        EXPECT_EQ(r.status, 200);
        return r.json();
    }
    static temp_dir* files_;
    static test_host* host_;
};
temp_dir* Loading::files_ = nullptr;
test_host* Loading::host_ = nullptr;

TEST_F(Loading, EachBadPluginIsRejectedWithTheStepAndReason) {
    const std::vector<bad_case> cases = {
        {"wrong-abi", "descriptor", "ABI major 99 (plugin) differs from 1 (host)"},
        {"wrong-arch", "descriptor", "fingerprint arch riscv64 (plugin) differs from " BERTH_ARCH " (host)"},
        {"failing-start", "start", "database unreachable (on purpose)"},
        {"not-elf", "elf", "is not an ELF shared object"},
        {"truncated", "inspect", "truncated.so"},
        {"partial-symbol", "inspect", "is a symbol table of a partial entry"},
        {"missing", "read", "cannot read"},
        {"not-a-plugin", "inspect", "does not export 'berth_plugin'"},
    };
    for (auto& c : cases) {
        SCOPED_TRACE(c.name);
        auto s = admin_status(c.name);
        EXPECT_EQ(s["state"], "failed");
        ASSERT_TRUE(s["last_error"].is_object()) << s.dump();
        EXPECT_EQ(s["last_error"]["step"], c.step) << s.dump();
        auto message = s["last_error"]["message"].get<std::string>();
        EXPECT_NE(message.find(c.says), std::string::npos) << message;
        EXPECT_TRUE(s["generation"].is_null());
    }
}

TEST_F(Loading, TheReasonNamesTheFile) {
    auto message = admin_status("wrong-abi")["last_error"]["message"].get<std::string>();
    EXPECT_NE(message.find(test_plugin("wrong_abi").string()), std::string::npos) << message;
}

TEST_F(Loading, ARejectedPluginsPortAnswers503ProblemsThatShowNoInternals) {
    auto port = host_->port("wrong-abi");
    auto health = http_request(port, "GET", "/healthz");
    EXPECT_EQ(health.status, 503);
    EXPECT_EQ(health.json()["status"], "unavailable");
    auto r = http_request(port, "GET", "/v1/anything");
    EXPECT_EQ(r.status, 503);
    EXPECT_EQ(r.header("Content-Type"), "application/problem+json");
    EXPECT_FALSE(r.header("X-Request-Id").empty());
    EXPECT_FALSE(r.header("Retry-After").empty());
    // The reason (paths, loader text) is for the operator: the admin API has it, the public port does not.
    for (auto* answer : {&health, &r}) {
        SCOPED_TRACE(answer->body);
        EXPECT_EQ(answer->body.find("ABI"), std::string::npos);
        EXPECT_EQ(answer->body.find("/"), std::string::npos);
    }
    EXPECT_NE(admin_status("wrong-abi")["last_error"]["message"].get<std::string>().find("ABI major"),
              std::string::npos);
}

TEST_F(Loading, TheGoodPluginServesBesideTheBadOnes) {
    auto r = http_request(host_->port("greeter"), "GET", "/v1/greetings/Zed");
    ASSERT_EQ(r.status, 200);
    EXPECT_EQ(r.json()["greeting"], "Hello, Zed!");
    EXPECT_EQ(admin_status("greeter")["state"], "serving");
}

TEST_F(Loading, AFailedStartLeavesNoLibraryMapped) {
    // The failing plugin was loaded, created and asked to start (that is the step that failed),
    // and refused: no copy of it may stay mapped. The greeter's copy, in the same directory and
    // found the same way, shows the scan sees what is there.
    ASSERT_EQ(admin_status("failing-start")["last_error"]["step"], "start");
    const auto shadows = host_->data_dir() / "shadow";
    EXPECT_EQ(mapped_in(shadows, "greeter-").size(), 1u);
    for (auto& left : mapped_in(shadows, "failing-start-")) ADD_FAILURE() << left << " is still mapped";
}

TEST_F(Loading, ShadowCopiesAreNamedByContentHash) {
    auto s = admin_status("greeter");
    auto shadow = host_->data_dir() / "shadow" / ("greeter-" + s["sha256"].get<std::string>() + ".so");
    EXPECT_TRUE(std::filesystem::exists(shadow)) << shadow;
    EXPECT_EQ(s["library"], shipped_plugin("greeter").string());
}

}  // namespace
}  // namespace berth::test
