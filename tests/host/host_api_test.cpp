// berth_host_api grows by appending fields (ABI 1.1 call, ABI 1.2 report_lease_wait, ABI 1.3
// end_session and end_sessions): the SDK
// uses a field only when the host's struct_size covers it, and the host's table carries every
// field it knows and forwards it to the runtime's hooks.
#include "abi/abi_bridge.hpp"
#include "abi/host_services.hpp"
#include "auth/revocations.hpp"
#include "auth/token_service.hpp"
#include "support/test_host.hpp"

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

// ABI 1.3: ending sessions.
struct end_calls {
    int calls = 0;
    std::string last;
    static int record(void* ctx, berth_bytes what, const berth_writer*) {
        auto* self = static_cast<end_calls*>(ctx);
        ++self->calls;
        self->last.assign(what.data, what.size);
        return BERTH_OK;
    }
};

TEST(HostApi, AnSdkContextEndsSessionsThroughAHostThatKnowsTheFields) {
    end_calls seen;
    berth_host_api host{};
    host.struct_size = sizeof(berth_host_api);
    host.ctx = &seen;
    host.end_session = &end_calls::record;
    host.end_sessions = &end_calls::record;
    berth::context ctx(&host, args());
    ctx.end_session("a.b.c");
    EXPECT_EQ(seen.last, "a.b.c");
    ctx.end_sessions("42");
    EXPECT_EQ(seen.last, "42");
    EXPECT_EQ(seen.calls, 2);
}

TEST(HostApi, AnSdkContextOnAnAbi12HostSaysItCannotEndSessions) {
    end_calls seen;
    berth_host_api host{};
    // A 1.2 host's table ends before end_session; whatever lies past it is not the host's.
    host.struct_size = offsetof(berth_host_api, end_session);
    host.ctx = &seen;
    host.end_session = &end_calls::record;
    host.end_sessions = &end_calls::record;
    berth::context ctx(&host, args());
    EXPECT_THROW(ctx.end_session("a.b.c"), std::runtime_error);
    EXPECT_THROW(ctx.end_sessions("42"), std::runtime_error);
    EXPECT_EQ(seen.calls, 0);
}

// The host's own table, over a real token service and revocation store.
struct token_host {
    temp_dir dir;
    host::auth::revocations revoked{dir.path() / "revoked-sessions.json"};
    host::auth::token_service tokens{host::auth_config{dir.path() / "token.key", "berth-test", 600}, &revoked};
    host::abi::host_services services;
    host::abi::host_context hc{"users", &services};
    berth_host_api table;
    token_host() {
        services.tokens = &tokens;
        table = host::abi::host_api(&hc);
    }
    int end_session(const std::string& token, std::string* error = nullptr) {
        host::abi::text_sink e;
        int rc = table.end_session(table.ctx, host::abi::bytes(token), &e.writer);
        if (error) *error = e.text;
        return rc;
    }
};

TEST(HostApi, TheHostTableEndsTheSessionOfAValidToken) {
    token_host h;
    ASSERT_NE(h.table.end_session, nullptr);
    const auto t = h.tokens.issue("7", "user").token;
    ASSERT_EQ(h.end_session(t), BERTH_OK);
    auto v = std::get<host::auth::token_service::verified>(h.tokens.verify(t));
    EXPECT_EQ(v.jti.size(), 32u);
    EXPECT_TRUE(h.revoked.refused(v.subject, v.jti, v.iat_ms));
    EXPECT_EQ(h.revoked.token_ids(), 1u);
    EXPECT_EQ(h.revoked.subjects(), 0u);  // only that token: the user's other sessions go on
}

TEST(HostApi, TheHostTableRefusesToEndATokenItDidNotSign) {
    token_host h;
    std::string error;
    EXPECT_EQ(h.end_session("a.b.c", &error), BERTH_ERROR);
    EXPECT_EQ(error, "not a valid token of this host");
    EXPECT_EQ(h.revoked.token_ids() + h.revoked.subjects(), 0u);
}

// A log-out racing its token's expiry: the token is refused everywhere already, so it is ended.
TEST(HostApi, TheHostTableEndsAnExpiredTokenOfItsOwnWithNothingToKeep) {
    token_host h;
    const auto t = h.tokens.issue("7", "user", 0).token;  // expires as it is issued
    std::string error;
    EXPECT_EQ(h.end_session(t, &error), BERTH_OK) << error;
    EXPECT_EQ(h.revoked.token_ids() + h.revoked.subjects(), 0u);
}

TEST(HostApi, TheHostTableEndsEverySessionOfASubject) {
    token_host h;
    const auto before = h.tokens.issue("7", "user").token;
    host::abi::text_sink error;
    ASSERT_EQ(h.table.end_sessions(h.table.ctx, host::abi::bytes(std::string_view("7")), &error.writer), BERTH_OK);
    auto v = std::get<host::auth::token_service::verified>(h.tokens.verify(before));
    EXPECT_TRUE(h.revoked.refused(v.subject, v.jti, v.iat_ms));
}

// A token issued right after end_sessions, in the same millisecond as likely as not, works: its
// iat_ms is at least the subject's not_before.
TEST(HostApi, ATokenIssuedRightAfterEndSessionsIsNotRefused) {
    token_host h;
    host::abi::text_sink error;
    for (int i = 0; i < 50; ++i) {
        const auto before = h.tokens.issue("7", "user").token;
        ASSERT_EQ(h.table.end_sessions(h.table.ctx, host::abi::bytes(std::string_view("7")), &error.writer), BERTH_OK);
        const auto after = h.tokens.issue("7", "user").token;
        auto b = std::get<host::auth::token_service::verified>(h.tokens.verify(before));
        auto a = std::get<host::auth::token_service::verified>(h.tokens.verify(after));
        ASSERT_TRUE(h.revoked.refused(b.subject, b.jti, b.iat_ms)) << i;
        ASSERT_FALSE(h.revoked.refused(a.subject, a.jti, a.iat_ms)) << i;
    }
}

// issue_token and end_sessions take the same subjects: none a store of ended sessions cannot keep.
TEST(HostApi, IssueTokenAndEndSessionsRefuseTheSameSubjects) {
    token_host h;
    for (const std::string sub : {std::string("a\x1b[2Jb"), std::string("line\nbreak"), std::string(257, 'x'), std::string()}) {
        SCOPED_TRACE(sub.size());
        host::abi::text_sink token, error, ended;
        std::int64_t exp = 0;
        EXPECT_EQ(h.table.issue_token(h.table.ctx, host::abi::bytes(sub), host::abi::bytes(std::string_view("user")), &token.writer,
                                      &exp, &error.writer),
                  BERTH_ERROR);
        EXPECT_TRUE(token.text.empty());
        EXPECT_EQ(h.table.end_sessions(h.table.ctx, host::abi::bytes(sub), &ended.writer), BERTH_ERROR);
    }
    EXPECT_EQ(h.revoked.subjects(), 0u);
}

// A token minted longer than the configured ttl: the store keeps ended subjects until its exp
// (in ms, within the second it names), recorded before it exists.
TEST(HostApi, ALongerTokenRaisesWhatTheStoreKeepsToItsExpiry) {
    token_host h;
    const auto day = h.tokens.issue("ops", "catalog:write", 86'400);
    const auto kept = h.revoked.long_until_ms();
    EXPECT_GE(kept, day.expires_at * 1000);
    EXPECT_LT(kept, day.expires_at * 1000 + 1000);
    (void)h.tokens.issue("ops", "catalog:write", 60);
    EXPECT_EQ(h.revoked.long_until_ms(), kept);
}

TEST(HostApi, AHostWithoutTokensCannotEndSessions) {
    host::abi::host_services services;
    host::abi::host_context hc{"users", &services};
    const auto table = host::abi::host_api(&hc);
    host::abi::text_sink error;
    EXPECT_EQ(table.end_session(table.ctx, host::abi::bytes(std::string_view("a.b.c")), &error.writer), BERTH_ERROR);
    EXPECT_EQ(table.end_sessions(table.ctx, host::abi::bytes(std::string_view("7")), &error.writer), BERTH_ERROR);
    EXPECT_FALSE(error.text.empty());
}

}  // namespace
}  // namespace berth::test
