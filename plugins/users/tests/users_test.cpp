// users, over HTTP against the real host: registration, log-in, log-out, me, password change.
#include "support/shop.hpp"

#include <gtest/gtest.h>

namespace berth::test {
namespace {

class Users : public ::testing::Test {
protected:
    static void SetUpTestSuite() { shop_ = new shop(); }
    static void TearDownTestSuite() { delete shop_; }
    static shop& s() { return *shop_; }
    static shop* shop_;
};
shop* Users::shop_ = nullptr;

TEST_F(Users, RegisterAnswers201WithoutThePassword) {
    auto r = s().post(s().users(), "/v1/users", {{"email", "Ann@Example.org"}, {"password", "long enough"}, {"name", "Ann"}});
    ASSERT_EQ(r.status, 201) << r.body;
    auto j = r.json();
    EXPECT_TRUE(j["id"].is_number_integer());
    EXPECT_EQ(j["email"], "ann@example.org");
    EXPECT_EQ(j["name"], "Ann");
    EXPECT_EQ(j.size(), 3u);
    EXPECT_EQ(r.body.find("long enough"), std::string::npos);
    EXPECT_EQ(r.header("Location"), "/v1/users/me");
}

TEST_F(Users, PasswordsAreStoredAsArgon2idHashes) {
    s().post(s().users(), "/v1/users", {{"email", "hash@example.org"}, {"password", "plain text pw"}, {"name", "H"}});
    auto rows = sql(s().host().data_dir() / "users.db", "SELECT password_hash FROM users WHERE email = 'hash@example.org'");
    ASSERT_EQ(rows.size(), 1u);
    EXPECT_EQ(rows[0].rfind("$argon2id$", 0), 0u) << rows[0];
    EXPECT_EQ(rows[0].find("plain text pw"), std::string::npos);
}

TEST_F(Users, ATakenEmailIs409WhateverItsCase) {
    ASSERT_EQ(s().post(s().users(), "/v1/users", {{"email", "dup@example.org"}, {"password", "long enough"}, {"name", "A"}}).status, 201);
    auto r = s().post(s().users(), "/v1/users", {{"email", "DUP@example.org"}, {"password", "long enough"}, {"name", "B"}});
    EXPECT_EQ(r.status, 409);
    EXPECT_EQ(r.header("Content-Type"), "application/problem+json");
}

TEST_F(Users, RegistrationInputIsChecked) {
    struct row {
        nlohmann::json body;
        std::string pointer;
    };
    const std::vector<row> rows = {
        {{{"email", "x@example.org"}, {"password", "short"}, {"name", "X"}}, "/password"},
        {{{"email", "not-an-email"}, {"password", "long enough"}, {"name", "X"}}, "/email"},
        {{{"email", "x@example.org"}, {"password", "long enough"}}, ""},
        {{{"email", "x@example.org"}, {"password", "long enough"}, {"name", ""}}, "/name"},
        {{{"email", "x@example.org"}, {"password", "long enough"}, {"name", " \t  "}}, "/name"},
        {{{"email", "x@example.org"}, {"password", "        "}, {"name", "X"}}, "/password"},
        {{{"email", "x@example.org"}, {"password", "\t\n \r\f   "}, {"name", "X"}}, "/password"},
    };
    for (auto& r : rows) {
        SCOPED_TRACE(r.body.dump());
        auto res = s().post(s().users(), "/v1/users", r.body);
        ASSERT_EQ(res.status, 400);
        EXPECT_EQ(res.json()["errors"][0]["pointer"], r.pointer);
    }
}

TEST_F(Users, LogInGivesABearerToken) {
    s().post(s().users(), "/v1/users", {{"email", "log@example.org"}, {"password", "open sesame"}, {"name", "L"}});
    auto r = s().post(s().users(), "/v1/sessions", {{"email", "LOG@example.org"}, {"password", "open sesame"}});
    ASSERT_EQ(r.status, 200) << r.body;
    auto j = r.json();
    EXPECT_EQ(j["token_type"], "Bearer");
    const auto token = j["token"].get<std::string>();
    EXPECT_EQ(std::count(token.begin(), token.end(), '.'), 2);
    EXPECT_EQ(j["expires_at"].get<std::string>().size(), 20u);  // 2026-11-26T07:00:00Z
    EXPECT_EQ(j["scope"], "user");
}

TEST_F(Users, BadCredentialsAre401AndLookTheSame) {
    s().post(s().users(), "/v1/users", {{"email", "cred@example.org"}, {"password", "open sesame"}, {"name", "C"}});
    auto wrong = s().post(s().users(), "/v1/sessions", {{"email", "cred@example.org"}, {"password", "open sesame!"}});
    auto unknown = s().post(s().users(), "/v1/sessions", {{"email", "nobody@example.org"}, {"password", "open sesame"}});
    EXPECT_EQ(wrong.status, 401);
    EXPECT_EQ(unknown.status, 401);
    EXPECT_EQ(wrong.json(), unknown.json());
    EXPECT_EQ(wrong.header("Content-Type"), unknown.header("Content-Type"));
}

// The unknown email is checked against a dummy Argon2id hash, so it costs what a known one
// costs (timing is measured in bench, not asserted here); its answer is the wrong password's.
TEST_F(Users, AnUnknownEmailWithAnyPasswordIsRefusedLikeAWrongPassword) {
    s().post(s().users(), "/v1/users", {{"email", "known@example.org"}, {"password", "open sesame"}, {"name", "K"}});
    for (auto password : {"open sesame", "", "a much longer password than that"}) {
        SCOPED_TRACE(password);
        auto unknown = s().post(s().users(), "/v1/sessions", {{"email", "unknown@example.org"}, {"password", password}});
        auto wrong = s().post(s().users(), "/v1/sessions", {{"email", "known@example.org"}, {"password", std::string(password) + "!"}});
        EXPECT_EQ(unknown.status, 401);
        EXPECT_EQ(unknown.body, wrong.body);
    }
}

// Public registration never grants more than "user", even for an email the old users setting
// `admins` lists (the setting is ignored, with a warning): such a user cannot reprice.
TEST(UsersScopes, RegisteringAFormerAdminEmailPubliclyYieldsOnlyUser) {
    shop s({}, {{"users", {{"admins", {shop::admin_email}}}}});
    auto id = s.product("SCOPE-1", 1000, 1);
    ASSERT_EQ(s.post(s.users(), "/v1/users", {{"email", shop::admin_email}, {"password", shop::admin_password}, {"name", "Eve"}}).status, 201);
    auto r = s.post(s.users(), "/v1/sessions", {{"email", shop::admin_email}, {"password", shop::admin_password}});
    ASSERT_EQ(r.status, 200) << r.body;
    EXPECT_EQ(r.json()["scope"], "user");
    auto reprice = s.post(s.products(), "/v1/products/" + std::to_string(id) + "/reprice", {{"price_cents", 0}},
                          r.json()["token"].get<std::string>());
    EXPECT_EQ(reprice.status, 403);
    EXPECT_EQ(s.get(s.products(), "/v1/products/" + std::to_string(id)).json()["price_cents"], 1000);
}

// The operator grants catalog:write on the admin API; that token can reprice.
TEST(UsersScopes, ACatalogWriteTokenMintedOnTheAdminApiCanReprice) {
    shop s;
    auto id = s.product("SCOPE-2", 1000, 1);
    const std::string token = s.mint_token("ada", "catalog:write");
    auto reprice = s.post(s.products(), "/v1/products/" + std::to_string(id) + "/reprice", {{"price_cents", 750}}, token);
    ASSERT_EQ(reprice.status, 200) << reprice.body;
    EXPECT_EQ(reprice.json()["price_cents"], 750);
    // Minting needs the admin token: the public plugin ports cannot be asked for one.
    auto anonymous = http_request(s.host().admin_port(), "POST", "/tokens",
                                  R"({"subject": "eve", "scope": "catalog:write"})", {{"Content-Type", "application/json"}});
    EXPECT_EQ(anonymous.status, 401);
    // A minted subject is no user: /v1/users/me says so instead of failing.
    EXPECT_EQ(s.get(s.users(), "/v1/users/me", token).status, 404);
}

TEST_F(Users, MeNeedsAToken) {
    auto token = s().login("me@example.org");
    auto r = s().get(s().users(), "/v1/users/me", token);
    ASSERT_EQ(r.status, 200);
    EXPECT_EQ(r.json()["email"], "me@example.org");
    auto anon = s().get(s().users(), "/v1/users/me");
    EXPECT_EQ(anon.status, 401);
    EXPECT_EQ(anon.header("WWW-Authenticate").rfind("Bearer", 0), 0u);
}

TEST_F(Users, PasswordChangeNeedsTheCurrentOne) {
    auto token = s().login("pw@example.org", "first password");
    auto wrong = s().post(s().users(), "/v1/users/me/password", {{"current_password", "not it at all"}, {"new_password", "second password"}}, token);
    EXPECT_EQ(wrong.status, 403);
    auto weak = s().post(s().users(), "/v1/users/me/password", {{"current_password", "first password"}, {"new_password", "short"}}, token);
    EXPECT_EQ(weak.status, 400);
    auto ok = s().post(s().users(), "/v1/users/me/password", {{"current_password", "first password"}, {"new_password", "second password"}}, token);
    EXPECT_EQ(ok.status, 204) << ok.body;
    EXPECT_EQ(s().post(s().users(), "/v1/sessions", {{"email", "pw@example.org"}, {"password", "first password"}}).status, 401);
    EXPECT_EQ(s().post(s().users(), "/v1/sessions", {{"email", "pw@example.org"}, {"password", "second password"}}).status, 200);
    EXPECT_EQ(s().post(s().users(), "/v1/users/me/password", {{"current_password", "x"}, {"new_password", "second password"}}).status, 401);
}

TEST_F(Users, NamesAreStoredTrimmed) {
    auto r = s().post(s().users(), "/v1/users", {{"email", "trim@example.org"}, {"password", "long enough"}, {"name", "  Tess Trim \u2003"}});
    ASSERT_EQ(r.status, 201) << r.body;
    EXPECT_EQ(r.json()["name"], "Tess Trim");
    auto token = s().login("trim@example.org", "long enough");
    EXPECT_EQ(s().get(s().users(), "/v1/users/me", token).json()["name"], "Tess Trim");
}

// Eight characters with one that is not whitespace is a password; spaces around it count.
TEST_F(Users, APasswordOfEightWithSomethingBesidesWhitespaceIsAccepted) {
    auto r = s().post(s().users(), "/v1/users", {{"email", "spacy@example.org"}, {"password", "       x"}, {"name", "S"}});
    ASSERT_EQ(r.status, 201) << r.body;
    EXPECT_EQ(s().post(s().users(), "/v1/sessions", {{"email", "spacy@example.org"}, {"password", "       x"}}).status, 200);
}

TEST_F(Users, ANewPasswordOfOnlyWhitespaceIs400) {
    auto token = s().login("blank-new@example.org", "first password");
    auto r = s().post(s().users(), "/v1/users/me/password", {{"current_password", "first password"}, {"new_password", "          "}}, token);
    ASSERT_EQ(r.status, 400) << r.body;
    EXPECT_EQ(r.json()["errors"][0]["pointer"], "/new_password");
    EXPECT_EQ(s().get(s().users(), "/v1/users/me", token).status, 200);  // nothing changed, nothing ended
}

TEST_F(Users, ANameOfUnicodeSpacesIs400NamingIt) {
    auto r = s().post(s().users(), "/v1/users", {{"email", "nbsp@example.org"}, {"password", "long enough"}, {"name", "\u00a0\u2003"}});
    ASSERT_EQ(r.status, 400) << r.body;
    EXPECT_EQ(r.json()["errors"][0]["pointer"], "/name");
}

TEST_F(Users, ANameWithAControlCharacterIs400) {
    auto r = s().post(s().users(), "/v1/users", {{"email", "esc@example.org"}, {"password", "long enough"}, {"name", "Eve\x1b[2J"}});
    ASSERT_EQ(r.status, 400) << r.body;
    EXPECT_EQ(r.json()["errors"][0]["pointer"], "/name");
}

TEST_F(Users, NamesAreTrimmedOfUnicodeSpacesToo) {
    auto r = s().post(s().users(), "/v1/users", {{"email", "uni@example.org"}, {"password", "long enough"}, {"name", "\u3000Uma\u00a0"}});
    ASSERT_EQ(r.status, 201) << r.body;
    EXPECT_EQ(r.json()["name"], "Uma");
}

TEST_F(Users, APasswordOfIdeographicSpacesIs400AtRegistration) {
    const std::string spaces = "\u3000\u3000\u3000\u3000\u3000\u3000\u3000\u3000";
    auto r = s().post(s().users(), "/v1/users", {{"email", "ideo@example.org"}, {"password", spaces}, {"name", "I"}});
    ASSERT_EQ(r.status, 400) << r.body;
    EXPECT_EQ(r.json()["errors"][0]["pointer"], "/password");
}

TEST_F(Users, ANewPasswordOfIdeographicSpacesIs400) {
    auto token = s().login("ideo-new@example.org", "first password");
    const std::string spaces = "\u3000\u3000\u3000\u3000\u3000\u3000\u3000\u3000";
    auto r = s().post(s().users(), "/v1/users/me/password", {{"current_password", "first password"}, {"new_password", spaces}}, token);
    ASSERT_EQ(r.status, 400) << r.body;
    EXPECT_EQ(r.json()["errors"][0]["pointer"], "/new_password");
    EXPECT_EQ(s().get(s().users(), "/v1/users/me", token).status, 200);  // nothing changed, nothing ended
}

reply log_out(std::uint16_t port, const std::string& token) {
    return http_request(port, "DELETE", "/v1/sessions/current", "", {{"Authorization", "Bearer " + token}});
}

TEST_F(Users, LogOutAnswers204AndTheTokenIsRefusedAfterwards) {
    auto token = s().login("out@example.org");
    ASSERT_EQ(s().get(s().users(), "/v1/users/me", token).status, 200);
    auto r = log_out(s().users(), token);
    ASSERT_EQ(r.status, 204) << r.body;
    auto me = s().get(s().users(), "/v1/users/me", token);
    EXPECT_EQ(me.status, 401);
    EXPECT_NE(me.header("WWW-Authenticate").find("invalid_token"), std::string::npos);
}

TEST_F(Users, LoggingOutTwiceWithTheSameTokenIs401) {
    auto token = s().login("twice@example.org");
    ASSERT_EQ(log_out(s().users(), token).status, 204);
    auto again = log_out(s().users(), token);
    EXPECT_EQ(again.status, 401);
    EXPECT_EQ(again.header("Content-Type"), "application/problem+json");
}

TEST_F(Users, LogOutNeedsAToken) {
    EXPECT_EQ(http_request(s().users(), "DELETE", "/v1/sessions/current", "", {}).status, 401);
}

TEST_F(Users, LogOutEndsOnlyThatSession) {
    auto first = s().login("two-devices@example.org");
    auto second = s().login("two-devices@example.org");
    ASSERT_EQ(log_out(s().users(), first).status, 204);
    EXPECT_EQ(s().get(s().users(), "/v1/users/me", first).status, 401);
    EXPECT_EQ(s().get(s().users(), "/v1/users/me", second).status, 200);
}

TEST_F(Users, APasswordChangeEndsEverySessionBegunBefore) {
    auto used = s().login("ends@example.org", "first password");
    auto other = s().login("ends@example.org", "first password");
    auto ok = s().post(s().users(), "/v1/users/me/password", {{"current_password", "first password"}, {"new_password", "second password"}}, used);
    ASSERT_EQ(ok.status, 204) << ok.body;
    EXPECT_EQ(s().get(s().users(), "/v1/users/me", used).status, 401);
    EXPECT_EQ(s().get(s().users(), "/v1/users/me", other).status, 401);
    auto fresh = s().login("ends@example.org", "second password");
    EXPECT_EQ(s().get(s().users(), "/v1/users/me", fresh).status, 200);
}

TEST_F(Users, AWrongCurrentPasswordEndsNoSession) {
    auto token = s().login("keeps@example.org", "first password");
    auto wrong = s().post(s().users(), "/v1/users/me/password", {{"current_password", "not it at all"}, {"new_password", "second password"}}, token);
    ASSERT_EQ(wrong.status, 403);
    EXPECT_EQ(s().get(s().users(), "/v1/users/me", token).status, 200);
}

TEST_F(Users, AnotherUsersPasswordChangeEndsNoneOfMySessions) {
    auto mine = s().login("bystander@example.org");
    auto theirs = s().login("changer@example.org", "first password");
    ASSERT_EQ(s().post(s().users(), "/v1/users/me/password", {{"current_password", "first password"}, {"new_password", "second password"}}, theirs).status, 204);
    EXPECT_EQ(s().get(s().users(), "/v1/users/me", mine).status, 200);
}

}  // namespace
}  // namespace berth::test
