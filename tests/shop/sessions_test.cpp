// Sessions that end (issue 12), across the shop: after a log-out or a password change the old
// token is refused (401) by every module's edge at once, a new one works, and a restart of the
// host on the same data does not bring the old one back.
#include "berthd_child.hpp"
#include "support/file_text.hpp"
#include "support/shop.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <fstream>
#include <mutex>
#include <thread>
#include <vector>

namespace berth::test {
namespace {

reply log_out(std::uint16_t users_port, const std::string& token) {
    return http_request(users_port, "DELETE", "/v1/sessions/current", "", {{"Authorization", "Bearer " + token}});
}

reply get_with(std::uint16_t port, const std::string& target, const std::string& token) {
    return http_request(port, "GET", target, "", {{"Authorization", "Bearer " + token}});
}

// A paid checkout by `token`'s user; returns the payment id.
std::string paid(shop& s, const std::string& token, long long product, const std::string& key) {
    auto r = s.checkout(token, key, {{{"product_id", product}, {"quantity", 1}}});
    if (r.status != 201) throw std::runtime_error("checkout failed: " + r.body);
    return r.json()["payment_id"];
}

TEST(Sessions, ALoggedOutTokenIsRefusedByUsersAndPayment) {
    shop s;
    const auto product = s.product("SES-1", 500, 5);
    const auto token = s.login("leaver@example.org");
    const auto payment = paid(s, token, product, "ses-1-a");
    ASSERT_EQ(s.get(s.payment(), "/v1/payments/" + payment, token).status, 200);

    ASSERT_EQ(log_out(s.users(), token).status, 204);

    EXPECT_EQ(s.get(s.users(), "/v1/users/me", token).status, 401);
    auto show = s.get(s.payment(), "/v1/payments/" + payment, token);
    EXPECT_EQ(show.status, 401);
    EXPECT_NE(show.header("WWW-Authenticate").find("error=\"invalid_token\""), std::string::npos);
    EXPECT_EQ(s.checkout(token, "ses-1-b", {{{"product_id", product}, {"quantity", 1}}}).status, 401);
    EXPECT_EQ(s.stock(product), 4);  // the refused checkout held nothing

    const auto fresh = s.login("leaver@example.org");
    EXPECT_EQ(s.get(s.payment(), "/v1/payments/" + payment, fresh).status, 200);
}

// An operator's minted token ends the same way (users' log-out takes any valid token): products
// and categories refuse it afterwards.
TEST(Sessions, ALoggedOutOperatorTokenIsRefusedByProductsAndCategories) {
    shop s;
    const auto product = s.product("SES-2", 500, 1);
    const auto op = s.mint_token("night-shift", "catalog:write");
    const auto reprice = "/v1/products/" + std::to_string(product) + "/reprice";
    ASSERT_EQ(s.post(s.products(), reprice, {{"price_cents", 600}}, op).status, 200);

    ASSERT_EQ(log_out(s.users(), op).status, 204);

    EXPECT_EQ(s.post(s.products(), reprice, {{"price_cents", 700}}, op).status, 401);
    EXPECT_EQ(s.post(s.categories(), "/v1/categories", {{"name", "After hours"}}, op).status, 401);
    EXPECT_EQ(s.get(s.products(), "/v1/products/" + std::to_string(product)).json()["price_cents"], 600);
    // The operator's other tokens are untouched.
    EXPECT_EQ(s.post(s.products(), reprice, {{"price_cents", 800}}, s.admin_token()).status, 200);
}

TEST(Sessions, APasswordChangeEndsEveryOlderSessionInEveryModule) {
    shop s;
    const auto product = s.product("SES-3", 500, 5);
    const auto used = s.login("changer@example.org", "first password");
    const auto other = s.login("changer@example.org", "first password");
    const auto payment = paid(s, other, product, "ses-3-a");

    auto change = s.post(s.users(), "/v1/users/me/password",
                         {{"current_password", "first password"}, {"new_password", "second password"}}, used);
    ASSERT_EQ(change.status, 204) << change.body;

    for (const auto& token : {used, other}) {
        EXPECT_EQ(s.get(s.users(), "/v1/users/me", token).status, 401);
        EXPECT_EQ(s.get(s.payment(), "/v1/payments/" + payment, token).status, 401);
    }
    EXPECT_EQ(s.checkout(other, "ses-3-b", {{{"product_id", product}, {"quantity", 1}}}).status, 401);

    const auto fresh = s.login("changer@example.org", "second password");
    EXPECT_EQ(s.get(s.users(), "/v1/users/me", fresh).status, 200);
    EXPECT_EQ(s.get(s.payment(), "/v1/payments/" + payment, fresh).status, 200);
}

// Logging in right after a password change (the walkthrough does) gives a token that works:
// the change ends the sessions begun before it, in ms, not the second it happened in.
TEST(Sessions, ALogInRightAfterAPasswordChangeWorks) {
    shop s;
    auto token = s.login("quick@example.org", "password 0");
    for (int i = 1; i <= 5; ++i) {
        const auto next = "password " + std::to_string(i);
        auto change = s.post(s.users(), "/v1/users/me/password",
                             {{"current_password", "password " + std::to_string(i - 1)}, {"new_password", next}}, token);
        ASSERT_EQ(change.status, 204) << change.body;
        token = s.login("quick@example.org", next);
        ASSERT_EQ(s.get(s.users(), "/v1/users/me", token).status, 200) << i;
    }
}

// Log-ins with the old password racing a password change: a log-in that verified the old hash
// must not hand out a token that outlives the change (each thread logs in until the old password
// is refused, so the log-ins cover the whole change).
TEST(Sessions, TokensFromLogInsRacingAPasswordChangeAreAllRefusedAfterIt) {
    shop s;
    const auto token = s.login("racer@example.org", "old password");
    const auto log_in_body = nlohmann::json{{"email", "racer@example.org"}, {"password", "old password"}}.dump();
    const header_list json{{"Content-Type", "application/json"}};
    std::mutex m;
    std::vector<std::string> got;
    std::atomic<bool> bounded{true};
    std::vector<std::thread> racers;
    for (int t = 0; t < 4; ++t)
        racers.emplace_back([&] {
            for (int i = 0;; ++i) {
                if (i == 200) return void(bounded = false);
                auto r = http_request(s.users(), "POST", "/v1/sessions", log_in_body, json);
                if (r.status != 200) return;  // the new password is in force
                std::lock_guard l(m);
                got.push_back(r.json()["token"]);
            }
        });
    auto change = s.post(s.users(), "/v1/users/me/password",
                         {{"current_password", "old password"}, {"new_password", "new password"}}, token);
    for (auto& t : racers) t.join();
    ASSERT_EQ(change.status, 204) << change.body;
    ASSERT_TRUE(bounded) << "the old password still worked after 200 log-ins";
    ASSERT_FALSE(got.empty());
    int accepted = 0;
    for (const auto& t : got) accepted += s.get(s.users(), "/v1/users/me", t).status != 401;
    EXPECT_EQ(accepted, 0) << "of " << got.size() << " tokens from log-ins with the old password";
}

double metric(const std::string& text, const std::string& series) {
    for (std::size_t at = text.find(series); at != std::string::npos; at = text.find(series, at + 1))
        if (at == 0 || text[at - 1] == '\n') return std::stod(text.substr(at + series.size() + 1));
    return -1;
}

TEST(Sessions, RefusalsOfEndedTokensAreCountedAsRevoked) {
    shop s;
    const auto token = s.login("counted@example.org");
    ASSERT_EQ(log_out(s.users(), token).status, 204);
    ASSERT_EQ(s.get(s.users(), "/v1/users/me", token).status, 401);
    ASSERT_EQ(s.get(s.users(), "/v1/users/me", token).status, 401);
    auto m = s.host().admin("GET", "/metrics");
    ASSERT_EQ(m.status, 200);
    EXPECT_EQ(metric(m.body, R"(berth_tokens_refused_total{reason="revoked"})"), 2);
    EXPECT_EQ(metric(m.body, R"(berth_tokens_refused_total{reason="invalid"})"), 0);
    EXPECT_EQ(metric(m.body, R"(berth_ended_sessions{table="token_ids"})"), 1);
    EXPECT_EQ(metric(m.body, R"(berth_ended_sessions{table="subjects"})"), 0);
}

TEST(Sessions, TheEndedSessionsFileIsPrivate) {
    shop s;
    ASSERT_EQ(log_out(s.users(), s.login("private@example.org")).status, 204);
    const auto file = s.host().data_dir() / "revoked-sessions.json";
    ASSERT_TRUE(std::filesystem::exists(file));
    EXPECT_EQ(std::filesystem::status(file).permissions() & std::filesystem::perms::all, std::filesystem::perms(0600));
}

nlohmann::json ended_sessions_file(shop& s) {
    return nlohmann::json::parse(text_of(s.host().data_dir() / "revoked-sessions.json"));
}

// The subject entry of `sub` in the file: how long it is kept past its not-before, in ms.
std::int64_t kept_ms(const nlohmann::json& file, const std::string& sub) {
    for (const auto& e : file["subjects"])
        if (e["sub"] == sub) return e["until_ms"].get<std::int64_t>() - e["not_before_ms"].get<std::int64_t>();
    return -1;
}

// The shop's tokens live 600 s (auth.token_ttl_s): an ended user is remembered that long, not
// for the admin API's 30 days (a table filled by password changes would refuse them for a month).
// The subject entry of `sub` in the file: when it leaves, Unix ms.
std::int64_t until_ms(const nlohmann::json& file, const std::string& sub) {
    for (const auto& e : file["subjects"])
        if (e["sub"] == sub) return e["until_ms"].get<std::int64_t>();
    return -1;
}

TEST(Sessions, AnEndedUserIsKeptOnlyAsLongAsTheTokensLast) {
    shop s;
    const auto token = s.login("brief@example.org", "first password");
    ASSERT_EQ(s.post(s.users(), "/v1/users/me/password", {{"current_password", "first password"}, {"new_password", "second password"}}, token)
                  .status,
              204);
    const auto me = s.get(s.users(), "/v1/users/me", s.login("brief@example.org", "second password")).json();
    EXPECT_EQ(kept_ms(ended_sessions_file(s), std::to_string(me["id"].get<long long>())), 600'000);
}

// A token minted for a day on the admin API: ends recorded after it are kept until it expires.
TEST(Sessions, ALongerMintedTokenLengthensWhatLaterEndsKeep) {
    shop s;
    auto minted = s.host().admin("POST", "/tokens", nlohmann::json{{"subject", "night-shift"}, {"scope", "catalog:write"}, {"ttl_s", 86400}}.dump());
    ASSERT_EQ(minted.status, 201) << minted.body;
    const auto minted_exp_ms = minted.json()["expires_at"].get<std::int64_t>() * 1000;
    const auto token = s.login("later@example.org", "first password");
    const auto id = std::to_string(s.get(s.users(), "/v1/users/me", token).json()["id"].get<long long>());
    ASSERT_EQ(s.post(s.users(), "/v1/users/me/password", {{"current_password", "first password"}, {"new_password", "second password"}}, token)
                  .status,
              204);
    const auto file = ended_sessions_file(s);
    const auto long_until = file["long_until_ms"].get<std::int64_t>();  // that token's exp, in ms
    EXPECT_GE(long_until, minted_exp_ms);
    EXPECT_LT(long_until, minted_exp_ms + 1000);
    EXPECT_EQ(until_ms(file, id), long_until);  // until that token has expired, no longer
}

std::string log_in(berthd_child& b, const std::string& email, const std::string& password) {
    const auto body = nlohmann::json{{"email", email}, {"password", password}}.dump();
    auto r = http_request(b.port("users"), "POST", "/v1/sessions", body, {{"Content-Type", "application/json"}});
    if (r.status != 200) throw std::runtime_error("login failed: " + r.body);
    return r.json()["token"];
}

TEST(SessionsAcrossRestarts, EndedSessionsStayEndedAfterTheHostRestarts) {
    temp_dir dir;
    berthd_child berthd(dir.path(), nlohmann::json::object());
    berthd.start();
    const auto json = header_list{{"Content-Type", "application/json"}};
    for (auto email : {"out@example.org", "pw@example.org"})
        ASSERT_EQ(http_request(berthd.port("users"), "POST", "/v1/users",
                               nlohmann::json{{"email", email}, {"password", "first password"}, {"name", "R"}}.dump(), json)
                      .status,
                  201);
    const auto logged_out = log_in(berthd, "out@example.org", "first password");
    const auto kept = log_in(berthd, "out@example.org", "first password");
    const auto before_change = log_in(berthd, "pw@example.org", "first password");
    ASSERT_EQ(log_out(berthd.port("users"), logged_out).status, 204);
    auto change = http_request(berthd.port("users"), "POST", "/v1/users/me/password",
                               nlohmann::json{{"current_password", "first password"}, {"new_password", "second password"}}.dump(),
                               {{"Content-Type", "application/json"}, {"Authorization", "Bearer " + before_change}});
    ASSERT_EQ(change.status, 204) << change.body;

    berthd.stop();
    berthd.start();

    EXPECT_EQ(get_with(berthd.port("users"), "/v1/users/me", logged_out).status, 401);
    EXPECT_EQ(get_with(berthd.port("users"), "/v1/users/me", before_change).status, 401);
    EXPECT_EQ(get_with(berthd.port("payment"), "/v1/payments/pay_unknown", before_change).status, 401);
    EXPECT_EQ(get_with(berthd.port("users"), "/v1/users/me", kept).status, 200);
    EXPECT_EQ(get_with(berthd.port("users"), "/v1/users/me", log_in(berthd, "pw@example.org", "second password")).status, 200);
}

TEST(SessionsAcrossRestarts, ACorruptEndedSessionsFileStopsTheStartAndIsNamed) {
    temp_dir dir;
    berthd_child berthd(dir.path(), nlohmann::json::object());
    std::filesystem::create_directories(berthd.data_dir());
    std::filesystem::permissions(berthd.data_dir(), std::filesystem::perms(0700));
    const auto file = berthd.data_dir() / "revoked-sessions.json";
    std::ofstream(file) << R"({"version":1,"token_ids":[{"jti":)";
    std::filesystem::permissions(file, std::filesystem::perms(0600));
    EXPECT_THROW(berthd.start(), std::runtime_error);
    const auto log = text_of(dir.path() / "berthd.log");
    EXPECT_NE(log.find(file.string()), std::string::npos) << log;
    EXPECT_NE(log.find("corrupt"), std::string::npos) << log;
}

}  // namespace
}  // namespace berth::test
