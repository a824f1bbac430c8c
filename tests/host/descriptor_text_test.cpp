// A plugin's declared name and version reach logs, the admin API and operators' terminals: the
// host refuses a descriptor whose name or version is not printable ASCII (step "descriptor").
#include "plugin/plugin_library.hpp"
#include "support/test_host.hpp"

#include <berth/abi.h>

#include <gtest/gtest.h>

#include <dlfcn.h>

#include <string>

namespace berth::test {
namespace {

// A real plugin's descriptor (a valid fingerprint and entry points), to change one field of.
class DescriptorText : public ::testing::Test {
protected:
    void SetUp() override {
        handle_ = ::dlopen(test_plugin("declared").c_str(), RTLD_NOW | RTLD_LOCAL);
        ASSERT_NE(handle_, nullptr) << ::dlerror();
        auto* d = static_cast<const berth_plugin_descriptor*>(::dlsym(handle_, BERTH_DESCRIPTOR_SYMBOL));
        ASSERT_NE(d, nullptr);
        d_ = *d;
        ASSERT_EQ(host::plugin::check_descriptor(d_), std::nullopt);
    }
    void TearDown() override {
        if (handle_) ::dlclose(handle_);
    }
    void* handle_ = nullptr;
    berth_plugin_descriptor d_{};
};

TEST_F(DescriptorText, ANameWithAnEscapeSequenceIsRefused) {
    d_.name = "declared\x1b]0;owned\x07";
    auto why = host::plugin::check_descriptor(d_);
    ASSERT_TRUE(why.has_value());
    EXPECT_NE(why->find("name is not 1 to 128 printable ASCII characters"), std::string::npos) << *why;
}

TEST_F(DescriptorText, AVersionWithANonAsciiByteIsRefused) {
    d_.version = "1.0\xc2\x9b";
    auto why = host::plugin::check_descriptor(d_);
    ASSERT_TRUE(why.has_value());
    EXPECT_NE(why->find("version is not 1 to 128 printable ASCII characters"), std::string::npos) << *why;
}

TEST_F(DescriptorText, ANameLongerThan128CharactersIsRefused) {
    const std::string longer(129, 'a');
    d_.name = longer.c_str();
    EXPECT_TRUE(host::plugin::check_descriptor(d_).has_value());
}

}  // namespace
}  // namespace berth::test
