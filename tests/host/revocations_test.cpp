// The host's store of ended sessions (auth/revocations): what it refuses, its bounds, its file.
// The clock is the store's own (set_clock), so expiry is tested without waiting.
#include "auth/revocations.hpp"
#include "files/private_file.hpp"
#include "support/file_mode.hpp"
#include "support/test_host.hpp"

#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>
#include <limits>
#include <thread>
#include <vector>

namespace berth::test {
namespace {

using host::auth::revocations;

constexpr std::int64_t t0 = 1'800'000'000'000;  // Unix ms

struct fixture {
    temp_dir dir;
    std::int64_t now = t0;
    std::filesystem::path file() const { return dir.path() / "revoked-sessions.json"; }
    std::unique_ptr<revocations> open(revocations::limits l = {}) {
        return std::make_unique<revocations>(file(), l, [this] { return now; });
    }
};

void write_0600(const std::filesystem::path& file, const std::string& text) {
    host::files::write_private_file(file, text);
}

TEST(Revocations, AnEndedTokenIdIsRefusedAndOthersAreNot) {
    fixture f;
    auto r = f.open();
    EXPECT_EQ(r->end_session("7", "aa", t0 / 1000 + 60), revocations::ended::token);
    EXPECT_TRUE(r->refused("7", "aa", t0 - 5));
    EXPECT_FALSE(r->refused("7", "bb", t0 - 5));
    EXPECT_FALSE(r->refused("8", "cc", t0 - 5));
}

TEST(Revocations, EndSessionsRefusesTokensIssuedUpToNowAndNotAfter) {
    fixture f;
    auto r = f.open();
    r->end_sessions("7");
    EXPECT_TRUE(r->refused("7", "", t0 - 1000));
    EXPECT_TRUE(r->refused("7", "x", t0));  // issued in the same millisecond, before the call
    EXPECT_FALSE(r->refused("7", "y", t0 + 1));
    EXPECT_EQ(r->not_before("7"), t0 + 1);
    EXPECT_FALSE(r->refused("8", "", t0 - 1000));
}

TEST(Revocations, ATokenIdLeavesTheTableAtItsExpiry) {
    fixture f;
    auto r = f.open();
    r->end_session("7", "aa", t0 / 1000 + 60);
    f.now = t0 + 60'000;
    r->end_session("7", "bb", t0 / 1000 + 600);  // any change purges what has expired
    EXPECT_EQ(r->token_ids(), 1u);
    EXPECT_FALSE(r->refused("7", "aa", t0));
}

TEST(Revocations, ASubjectLeavesOnceTheLongestTokenItConcernsHasExpired) {
    fixture f;
    auto r = f.open({.token_ttl_s = 100});
    r->end_sessions("7");
    f.now = t0 + 1 + 99'999;
    r->end_sessions("8");
    EXPECT_EQ(r->subjects(), 2u);
    f.now = t0 + 1 + 100'000;
    r->end_sessions("9");
    EXPECT_EQ(r->subjects(), 2u);
    EXPECT_EQ(r->not_before("7"), 0);
}

TEST(Revocations, AFullTokenTableEndsEverySessionOfTheSubjectInstead) {
    fixture f;
    auto r = f.open({.max_token_ids = 2});
    r->end_session("1", "a", t0 / 1000 + 60);
    r->end_session("2", "b", t0 / 1000 + 60);
    EXPECT_EQ(r->end_session("3", "c", t0 / 1000 + 60), revocations::ended::subject);
    EXPECT_EQ(r->token_ids(), 2u);
    EXPECT_TRUE(r->refused("3", "c", t0 - 10));
    EXPECT_TRUE(r->refused("3", "other", t0 - 10));  // more revoked, never fewer
    EXPECT_FALSE(r->refused("3", "new", t0 + 1));
    // An id already in the table is updated, not refused for room.
    EXPECT_EQ(r->end_session("1", "a", t0 / 1000 + 90), revocations::ended::token);
}

TEST(Revocations, AFullSubjectTableRefusesTheRevocation) {
    fixture f;
    auto r = f.open({.max_subjects = 2});
    r->end_sessions("1");
    r->end_sessions("2");
    EXPECT_THROW(r->end_sessions("3"), host::auth::revocation_error);
    EXPECT_FALSE(r->refused("3", "", t0 - 10));
    EXPECT_NO_THROW(r->end_sessions("1"));  // a subject it holds moves its not_before
    // Both tables full: a log-out has nowhere to go, and says so.
    auto both = fixture{};
    auto s = both.open({.max_token_ids = 1, .max_subjects = 1});
    s->end_session("1", "a", t0 / 1000 + 60);
    s->end_sessions("1");
    EXPECT_THROW(s->end_session("2", "b", t0 / 1000 + 60), host::auth::revocation_error);
}

TEST(Revocations, ASubjectEntryIsKeptAsLongAsTheLongestTtlNoted) {
    fixture f;
    auto r = f.open({.token_ttl_s = 600});
    r->note_ttl(300);  // shorter: changes nothing
    r->end_sessions("short");
    r->note_ttl(3600);
    r->end_sessions("long");
    f.now = t0 + 1 + 600'000;
    r->end_sessions("purge");
    EXPECT_EQ(r->not_before("short"), 0);
    EXPECT_NE(r->not_before("long"), 0);
    f.now = t0 + 1 + 3'600'000;
    r->end_sessions("purge");
    EXPECT_EQ(r->not_before("long"), 0);
}

// A long admin-minted token bounds what later ends keep by its own expiry, not for good.
TEST(Revocations, ALongTokensExpiryBoundsWhatLaterEndsKeep) {
    fixture f;
    auto r = f.open({.token_ttl_s = 600});
    r->note_ttl(86'400);  // expires at t0 + 86,400 s
    f.now = t0 + 1000;
    r->end_sessions("7");
    f.now = t0 + 86'400'000 - 1;
    r->end_sessions("purge");
    EXPECT_NE(r->not_before("7"), 0);
    f.now = t0 + 86'400'000;
    r->end_sessions("purge");
    EXPECT_EQ(r->not_before("7"), 0);
}

TEST(Revocations, OnceTheLongTokenHasExpiredEntriesAreKeptTheConfiguredTtlAgain) {
    fixture f;
    auto r = f.open({.token_ttl_s = 600});
    r->note_ttl(86'400);
    f.now = t0 + 86'400'000 + 5;
    r->end_sessions("7");
    f.now = t0 + 86'400'000 + 5 + 1 + 599'999;
    r->end_sessions("purge");
    EXPECT_NE(r->not_before("7"), 0);
    f.now = t0 + 86'400'000 + 5 + 1 + 600'000;
    r->end_sessions("purge");
    EXPECT_EQ(r->not_before("7"), 0);
}

TEST(Revocations, TheLongTokensExpiryOutlivesARestart) {
    fixture f;
    f.open({.token_ttl_s = 600})->note_ttl(86'400);
    f.now = t0 + 1000;
    auto again = f.open({.token_ttl_s = 600});
    again->end_sessions("7");
    f.now = t0 + 86'400'000 - 1;
    again->end_sessions("purge");
    EXPECT_NE(again->not_before("7"), 0);
    f.now = t0 + 86'400'000;
    again->end_sessions("purge");
    EXPECT_EQ(again->not_before("7"), 0);
}

// A log-in (a token of the configured ttl or shorter) writes nothing.
TEST(Revocations, ATokenOfTheConfiguredTtlWritesNoFile) {
    fixture f;
    auto r = f.open({.token_ttl_s = 600});
    r->note_ttl(600);
    r->note_ttl(60);
    EXPECT_FALSE(std::filesystem::exists(f.file()));
}

// A raised expiry that could not be written must not let a second token of that ttl be issued.
TEST(Revocations, ASecondLongTokenIsNotIssuedBeforeTheRaiseIsInTheFile) {
    fixture f;
    auto r = f.open({.token_ttl_s = 600});
    std::filesystem::create_directories(f.file() / "in-the-way");  // the file cannot be replaced
    EXPECT_THROW(r->note_ttl(86'400), host::files::file_error);
    EXPECT_THROW(r->note_ttl(86'400), host::files::file_error);
    std::filesystem::remove_all(f.file());
    EXPECT_NO_THROW(r->note_ttl(86'400));
    f.now = t0 + 1000;
    auto again = f.open({.token_ttl_s = 600});  // the raise is in the file now
    again->end_sessions("7");
    f.now = t0 + 86'400'000 - 1;
    again->end_sessions("purge");
    EXPECT_NE(again->not_before("7"), 0);
}

// The configured ttl was lowered across a restart: tokens issued under the old one may still live
// that long from the start.
TEST(Revocations, AFileWrittenUnderALongerConfiguredTtlKeepsEntriesThatLongFromTheLoad) {
    fixture f;
    f.open({.token_ttl_s = 86'400})->end_sessions("before");
    auto r = f.open({.token_ttl_s = 600});
    r->end_sessions("7");
    f.now = t0 + 86'400'000 - 1;
    r->end_sessions("purge");
    EXPECT_NE(r->not_before("7"), 0);
    f.now = t0 + 86'400'000;
    auto again = f.open({.token_ttl_s = 600});  // the raise is kept once written
    again->end_sessions("purge");
    EXPECT_EQ(again->not_before("7"), 0);
    again->end_sessions("8");
    f.now = t0 + 86'400'000 + 1 + 600'000;
    again->end_sessions("purge");
    EXPECT_EQ(again->not_before("8"), 0);
}

// A file from before long_until_ms, that tracked a longer ttl: kept from the load that long.
TEST(Revocations, AnOlderFileWithALongerTtlKeepsEntriesThatLongFromTheLoadThenTheConfiguredTtl) {
    fixture f;
    write_0600(f.file(), R"({"version":1,"longest_ttl_s":86400,"token_ids":[],"subjects":[]})");
    auto r = f.open({.token_ttl_s = 600});
    r->end_sessions("7");
    f.now = t0 + 86'400'000 - 1;
    r->end_sessions("8");
    EXPECT_NE(r->not_before("7"), 0);
    f.now = t0 + 86'400'000;
    r->end_sessions("purge");
    EXPECT_EQ(r->not_before("7"), 0);
    EXPECT_NE(r->not_before("8"), 0);  // ended after the old tokens expired: the configured ttl
    f.now = t0 + 86'400'000 - 1 + 1 + 600'000;
    r->end_sessions("purge");
    EXPECT_EQ(r->not_before("8"), 0);
}

TEST(Revocations, AnOlderFileWithTheConfiguredTtlKeepsTheConfiguredTtl) {
    fixture f;
    write_0600(f.file(), R"({"version":1,"longest_ttl_s":600,"token_ids":[],"subjects":[]})");
    auto r = f.open({.token_ttl_s = 600});
    r->end_sessions("7");
    f.now = t0 + 1 + 600'000;
    r->end_sessions("purge");
    EXPECT_EQ(r->not_before("7"), 0);
}

// A file written before any ttl was tracked: its tokens may have lived 30 days (the admin maximum).
TEST(Revocations, AFileWithoutTrackingKeepsThirtyDaysFromTheLoadThenTheConfiguredTtl) {
    fixture f;
    write_0600(f.file(), R"({"version":1,"token_ids":[],"subjects":[]})");
    auto r = f.open({.token_ttl_s = 600});
    r->end_sessions("7");
    f.now = t0 + 2'592'000'000 - 1;
    r->end_sessions("8");
    EXPECT_NE(r->not_before("7"), 0);
    f.now = t0 + 2'592'000'000;
    r->end_sessions("purge");
    EXPECT_EQ(r->not_before("7"), 0);
    f.now = t0 + 2'592'000'000 - 1 + 1 + 600'000;
    r->end_sessions("purge");
    EXPECT_EQ(r->not_before("8"), 0);
}

TEST(Revocations, SubjectsWithControlCharactersAreRefused) {
    fixture f;
    auto r = f.open();
    for (const std::string sub : {std::string("a\x01b"), std::string("tab\there"), std::string("del\x7f"),
                                  std::string("c1\xc2\x85"), std::string("nul\0x", 5)}) {
        SCOPED_TRACE(sub);
        EXPECT_THROW(r->end_sessions(sub), host::auth::revocation_error);
    }
    EXPECT_NO_THROW(r->end_sessions("caf\xc3\xa9 \"quoted\\"));  // non-ASCII text, quotes and backslashes are fine
    EXPECT_EQ(r->subjects(), 1u);
}

// The worst file the default tables allow (every entry at its longest, escaped at every byte)
// loads: a host that wrote it must be able to start again.
TEST(Revocations, AStoreFullOfTheLongestEntriesReloads) {
    fixture f;
    const revocations::limits l{};
    std::string text = R"({"version":1,"long_until_ms":0,"token_ids":[)";
    const std::string jti(revocations::max_jti_bytes, '\x01'), sub(revocations::max_subject_bytes, '\\');
    const auto big = std::numeric_limits<std::int64_t>::max(), low = std::numeric_limits<std::int64_t>::min();
    for (std::size_t i = 0; i < l.max_token_ids; ++i) {
        text += (i ? "," : "") + nlohmann::json{{"jti", jti}, {"until_ms", big}}.dump();
    }
    text += R"(],"subjects":[)";
    for (std::size_t i = 0; i < l.max_subjects; ++i) {
        auto s = sub;
        s.replace(0, 8, std::to_string(10'000'000 + i));  // distinct subjects, the rest escaped
        text += (i ? "," : "") + nlohmann::json{{"sub", s}, {"not_before_ms", low}, {"until_ms", big}}.dump();
    }
    text += "]}";
    write_0600(f.file(), text);
    auto r = f.open(l);
    EXPECT_EQ(r->subjects(), l.max_subjects);
}

TEST(Revocations, SubjectsThatAreTooLongOrNotUtf8AreRefused) {
    fixture f;
    auto r = f.open();
    EXPECT_THROW(r->end_sessions(std::string(revocations::max_subject_bytes + 1, 'x')), host::auth::revocation_error);
    EXPECT_THROW(r->end_sessions("\xff\xfe"), host::auth::revocation_error);
    EXPECT_THROW(r->end_sessions(""), host::auth::revocation_error);
    EXPECT_EQ(r->subjects(), 0u);
}

TEST(Revocations, EveryRevocationIsInTheFileWhenTheCallReturns) {
    fixture f;
    {
        auto r = f.open();
        r->end_session("7", "aa", t0 / 1000 + 60);
        r->end_sessions("8");
    }
    EXPECT_EQ(mode_of(f.file()), 0600u);
    auto again = f.open();
    EXPECT_TRUE(again->refused("7", "aa", t0));
    EXPECT_TRUE(again->refused("8", "", t0));
    EXPECT_FALSE(again->refused("8", "", t0 + 1));
}

TEST(Revocations, ChangesFromManyThreadsAllReachTheFile) {
    fixture f;
    {
        auto r = f.open();
        std::vector<std::thread> threads;
        for (int t = 0; t < 8; ++t)
            threads.emplace_back([&r, t] {
                for (int i = 0; i < 25; ++i) {
                    const auto who = std::to_string(t) + "-" + std::to_string(i);
                    if (i % 2) r->end_sessions(who);
                    else r->end_session(who, "jti-" + who, t0 / 1000 + 60);
                }
            });
        for (auto& th : threads) th.join();
    }
    auto again = f.open();
    EXPECT_EQ(again->subjects(), 8u * 12);
    EXPECT_EQ(again->token_ids(), 8u * 13);
    EXPECT_TRUE(again->refused("7-23", "", t0));
    EXPECT_TRUE(again->refused("7-24", "jti-7-24", t0));
}

TEST(Revocations, AMissingFileIsAnEmptyStore) {
    fixture f;
    auto r = f.open();
    EXPECT_EQ(r->token_ids() + r->subjects(), 0u);
    EXPECT_FALSE(std::filesystem::exists(f.file()));  // nothing written until something ends
}

TEST(Revocations, ACorruptFileIsRefusedNamingIt) {
    for (const std::string text :
         {"not json", "[]", R"({"version":1})", R"({"version":2,"token_ids":[],"subjects":[]})",
          R"({"version":1,"token_ids":[{"jti":7,"until_ms":1}],"subjects":[]})",
          R"({"version":1,"token_ids":[],"subjects":[{"sub":"","not_before_ms":1,"until_ms":2}]})"}) {
        SCOPED_TRACE(text);
        fixture f;
        write_0600(f.file(), text);
        try {
            revocations r(f.file());
            ADD_FAILURE() << "a corrupt file was loaded";
        } catch (const host::files::file_error& e) {
            EXPECT_NE(std::string(e.what()).find(f.file().string()), std::string::npos) << e.what();
        }
    }
}

TEST(Revocations, AFileOthersCanReadIsRefused) {
    fixture f;
    std::ofstream(f.file()) << R"({"version":1,"token_ids":[],"subjects":[]})";
    std::filesystem::permissions(f.file(), std::filesystem::perms(0644));
    EXPECT_THROW(revocations r(f.file()), host::files::file_error);
}

TEST(Revocations, AFileWithMoreEntriesThanTheBoundIsRefused) {
    fixture f;
    write_0600(f.file(), R"({"version":1,"token_ids":[{"jti":"a","until_ms":1},{"jti":"b","until_ms":1}],"subjects":[]})");
    EXPECT_THROW(revocations r(f.file(), {.max_token_ids = 1}), host::files::file_error);
}

}  // namespace
}  // namespace berth::test
