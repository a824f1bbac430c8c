// berth_host_api grows by appending fields (ABI 1.1 call, ABI 1.2 report_lease_wait): the SDK
// uses a field only when the host's struct_size covers it, and the host's table carries every
// field it knows and forwards it to the runtime's hooks.
#include "abi/abi_bridge.hpp"

#include <berth/plugin.hpp>

#include <gtest/gtest.h>

#include <chrono>
#include <cstddef>
#include <limits>
#include <stdexcept>

namespace berth::test {
namespace {

using namespace std::chrono_literals;

struct lease_reports {
    int calls = 0;
    std::uint64_t waited_ns = 0;
    int granted = -1;
    static void record(void* ctx, std::uint64_t waited_ns, int granted) {
        auto* self = static_cast<lease_reports*>(ctx);
        ++self->calls;
        self->waited_ns = waited_ns;
        self->granted = granted;
    }
};

berth_create_args args() {
    static const char settings[] = "{}";
    return berth_create_args{sizeof(berth_create_args), {"m", 1}, {settings, 2}, {}, {}};
}

TEST(HostApi, AnSdkContextReportsLeaseWaitsToAHostThatKnowsTheField) {
    lease_reports seen;
    berth_host_api host{};
    host.struct_size = sizeof(berth_host_api);
    host.ctx = &seen;
    host.report_lease_wait = &lease_reports::record;
    berth::context ctx(&host, args());
    ctx.report_lease_wait(3ms, false);
    EXPECT_EQ(seen.calls, 1);
    EXPECT_EQ(seen.waited_ns, 3'000'000u);
    EXPECT_EQ(seen.granted, 0);
}

TEST(HostApi, AnSdkContextReportsNothingToAnAbi11Host) {
    lease_reports seen;
    berth_host_api host{};
    // A 1.1 host's table ends before report_lease_wait; whatever lies past it is not the host's.
    host.struct_size = offsetof(berth_host_api, report_lease_wait);
    host.ctx = &seen;
    host.report_lease_wait = &lease_reports::record;
    berth::context ctx(&host, args());
    ctx.report_lease_wait(3ms, true);
    EXPECT_EQ(seen.calls, 0);
}

TEST(HostApi, TheHostTableForwardsLeaseWaitsWithTheModuleName) {
    std::string module;
    std::chrono::nanoseconds waited{};
    bool granted = false;
    host::abi::host_services services;
    services.lease_wait = [&](std::string_view m, std::chrono::nanoseconds w, bool g) {
        module = m;
        waited = w;
        granted = g;
    };
    host::abi::host_context hc{"ledger", &services};
    const auto table = host::abi::host_api(&hc);
    ASSERT_EQ(table.struct_size, sizeof(berth_host_api));
    ASSERT_NE(table.report_lease_wait, nullptr);
    table.report_lease_wait(table.ctx, 1500, 1);
    EXPECT_EQ(module, "ledger");
    EXPECT_EQ(waited, 1500ns);
    EXPECT_TRUE(granted);
    // A figure past what a duration holds is clamped, never wrapped negative.
    table.report_lease_wait(table.ctx, std::numeric_limits<std::uint64_t>::max(), 0);
    EXPECT_EQ(waited, std::chrono::nanoseconds::max());
    EXPECT_FALSE(granted);
}

TEST(HostApi, AThrowingLeaseHookStaysOnTheHostSide) {
    host::abi::host_services services;
    services.lease_wait = [](std::string_view, std::chrono::nanoseconds, bool) { throw std::runtime_error("full"); };
    host::abi::host_context hc{"ledger", &services};
    const auto table = host::abi::host_api(&hc);
    EXPECT_NO_THROW(table.report_lease_wait(table.ctx, 1, 1));
}

}  // namespace
}  // namespace berth::test
