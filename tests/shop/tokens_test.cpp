// Tokens at the edge: what the host accepts and refuses, and that a token the users module
// had issued verifies with an independent JWT library (Debian's python3-jwt) given the key.
#include "support/shop.hpp"
#include "support/token_key.hpp"

#include <gtest/gtest.h>
#include <jwt/jwt.hpp>

#include <chrono>
#include <cstdio>
#include <fstream>

namespace berth::test {
namespace {

long long now() {
    return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
}

std::string sign(const std::string& key, const std::string& iss, long long exp, const std::string& sub = "1") {
    jwt::jwt_object obj{jwt::params::algorithm("HS256"), jwt::params::secret(key)};
    obj.add_claim("sub", sub).add_claim("iss", iss).add_claim("iat", now()).add_claim("exp", exp).add_claim("scope", "user");
    return obj.signature();
}

class Tokens : public ::testing::Test {
protected:
    static void SetUpTestSuite() {
        shop_ = new shop();
        token_ = new std::string(shop_->login("token@example.org"));
    }
    static void TearDownTestSuite() {
        delete token_;
        delete shop_;
    }
    static int me(const std::string& token) { return shop_->get(shop_->users(), "/v1/users/me", token).status; }
    static shop* shop_;
    static std::string* token_;
};
shop* Tokens::shop_ = nullptr;
std::string* Tokens::token_ = nullptr;

TEST_F(Tokens, TheIssuedTokenIsAccepted) { EXPECT_EQ(me(*token_), 200); }

TEST_F(Tokens, ATamperedTokenIsRefused) {
    std::string t = *token_;
    auto dot = t.find('.');
    t[dot + 5] = t[dot + 5] == 'A' ? 'B' : 'A';  // change the payload, keep the signature
    auto r = shop_->get(shop_->users(), "/v1/users/me", t);
    EXPECT_EQ(r.status, 401);
    EXPECT_NE(r.header("WWW-Authenticate").find("invalid_token"), std::string::npos);
    std::string sig = *token_;
    sig.back() = sig.back() == 'A' ? 'B' : 'A';
    EXPECT_EQ(me(sig), 401);
}

TEST_F(Tokens, ExpiredWrongIssuerWrongKeyAndAlgNoneAreRefused) {
    auto key = token_key(shop_->host().data_dir());
    EXPECT_EQ(me(sign(key, "berth-test", now() + 60)), 200) << "the forging helper itself is sound";
    EXPECT_EQ(me(sign(key, "berth-test", now() - 60)), 401) << "expired";
    EXPECT_EQ(me(sign(key, "someone-else", now() + 60)), 401) << "wrong issuer";
    EXPECT_EQ(me(sign(std::string(32, 'k'), "berth-test", now() + 60)), 401) << "wrong key";
    auto none = b64url(R"({"alg":"none","typ":"JWT"})") + "." +
                b64url(nlohmann::json{{"sub", "1"}, {"iss", "berth-test"}, {"exp", now() + 60}, {"scope", "user"}}.dump()) + ".";
    EXPECT_EQ(me(none), 401) << "alg none";
    auto hs512_header = b64url(R"({"alg":"HS512","typ":"JWT"})");
    auto good = sign(key, "berth-test", now() + 60);
    EXPECT_EQ(me(hs512_header + good.substr(good.find('.'))), 401) << "alg other than HS256";
    EXPECT_EQ(me("not.a.token"), 401);
    EXPECT_EQ(shop_->get(shop_->users(), "/v1/users/me", "").status, 401);
    auto basic = http_request(shop_->users(), "GET", "/v1/users/me", {}, {{"Authorization", "Basic dXNlcjpwYXNz"}});
    EXPECT_EQ(basic.status, 401);
}

TEST_F(Tokens, APythonJwtLibraryVerifiesTheIssuedToken) {
    auto key_file = shop_->host().data_dir() / "token.key";
    std::string cmd = "/usr/bin/python3 -c \"import jwt,sys; "
                      "key = bytes.fromhex(open(sys.argv[1]).read().strip()); "
                      "c = jwt.decode(sys.argv[2], key, algorithms=['HS256'], issuer='berth-test'); "
                      "print(c['sub'], c['scope'], c['exp'] > c['iat'])\" " +
                      key_file.string() + " " + *token_ + " 2>&1";
    FILE* p = popen(cmd.c_str(), "r");
    ASSERT_NE(p, nullptr);
    char buf[512] = {};
    std::string out;
    while (fgets(buf, sizeof buf, p)) out += buf;
    EXPECT_EQ(pclose(p), 0) << out;
    auto me = shop_->get(shop_->users(), "/v1/users/me", *token_).json();
    EXPECT_EQ(out, std::to_string(me["id"].get<long long>()) + " user True\n");
}

TEST_F(Tokens, TheKeyFileIsPrivate) {
    auto perms = std::filesystem::status(shop_->host().data_dir() / "token.key").permissions();
    using p = std::filesystem::perms;
    EXPECT_EQ(perms & (p::group_all | p::others_all), p::none);
}

}  // namespace
}  // namespace berth::test
