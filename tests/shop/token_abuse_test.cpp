// Tokens that are signed with the real key but malformed inside, and forged ones: every one is
// a 401 with the same plain description, and none gets the host to say which check failed.
#include "support/shop.hpp"
#include "support/token_key.hpp"

#include <gtest/gtest.h>
#include <sodium.h>

#include <fstream>

namespace berth::test {
namespace {

class TokenAbuse : public ::testing::Test {
protected:
    static void SetUpTestSuite() {
        if (sodium_init() < 0) throw std::runtime_error("sodium_init");
        shop_ = new shop();
        key_ = new std::string(token_key(shop_->host().data_dir()));
    }
    static void TearDownTestSuite() {
        delete shop_;
        delete key_;
    }
    // header.payload, signed with the host's real key (or `key`).
    static std::string sign(const std::string& header, const std::string& payload, const std::string* key = nullptr) {
        const std::string part = b64url(header) + "." + b64url(payload);
        const std::string& k = key ? *key : *key_;
        unsigned char mac[crypto_auth_hmacsha256_BYTES];
        crypto_auth_hmacsha256_state st;
        crypto_auth_hmacsha256_init(&st, reinterpret_cast<const unsigned char*>(k.data()), k.size());
        crypto_auth_hmacsha256_update(&st, reinterpret_cast<const unsigned char*>(part.data()), part.size());
        crypto_auth_hmacsha256_final(&st, mac);
        return part + "." + b64url(std::string_view(reinterpret_cast<char*>(mac), sizeof mac));
    }
    static reply me(const std::string& token) { return shop_->get(shop_->users(), "/v1/users/me", token); }
    static shop* shop_;
    static std::string* key_;
};
shop* TokenAbuse::shop_ = nullptr;
std::string* TokenAbuse::key_ = nullptr;

const std::string good_payload = R"({"sub": "1", "iss": "berth-test", "exp": 4102444800, "scope": "user"})";

TEST_F(TokenAbuse, MalformedInsideButSignedIsA401NotA500) {
    const std::vector<std::pair<std::string, std::string>> cases = {
        {R"({"alg": 1})", good_payload},
        {R"({"alg": "HS256", "typ": 1})", good_payload},
        {R"({"alg": "HS256"})", R"([1, 2, 3])"},
        {R"({"alg": "HS256"})", R"({"sub": ["1"], "iss": "berth-test", "exp": 4102444800})"},
        {R"({"alg": "HS256"})", R"({"sub": "1", "iss": "berth-test", "exp": "tomorrow"})"},
        {R"({"alg": "HS256"})", R"({"sub": "1", "iss": "berth-test", "exp": 1e400})"},
        {R"({"alg": "HS256"})", R"({"sub": "1", "iss": "berth-test", "exp": 4102444800, "scope": {"a": 1}})"},
        {R"({"alg": "none"})", good_payload},
        {"not json", good_payload},
    };
    for (auto& [header, payload] : cases) {
        SCOPED_TRACE(header + " " + payload);
        auto r = me(sign(header, payload));
        EXPECT_EQ(r.status, 401) << r.body;
        EXPECT_EQ(r.header("WWW-Authenticate"), "Bearer realm=\"berth\", error=\"invalid_token\"");
        EXPECT_EQ(r.json()["detail"], "the bearer token is not valid");
    }
}

TEST_F(TokenAbuse, AnUnsignedTokenCannotProbeTheIssuerOrExpiry) {
    const std::string wrong_key(32, 'x');
    // Right issuer and wrong issuer, expired and not: the same answer, since nothing is read
    // before the signature checks out.
    std::set<std::string> bodies;
    for (const char* payload : {R"({"sub": "1", "iss": "berth-test", "exp": 4102444800})",
                                R"({"sub": "1", "iss": "other", "exp": 4102444800})",
                                R"({"sub": "1", "iss": "berth-test", "exp": 1})"}) {
        auto r = me(sign(R"({"alg": "HS256", "typ": "JWT"})", payload, &wrong_key));
        EXPECT_EQ(r.status, 401);
        auto j = r.json();
        bodies.insert(j["detail"].get<std::string>() + "|" + r.header("WWW-Authenticate"));
    }
    EXPECT_EQ(bodies.size(), 1u);
}

TEST_F(TokenAbuse, GarbageOfEveryShapeIsA401) {
    for (std::string t : {std::string("a.b.c"), std::string(".."), std::string("a.b"), std::string(7000, 'a'),
                          std::string("\xff\xfe.abc.def")}) {
        SCOPED_TRACE(t.substr(0, 10));
        EXPECT_EQ(me(t).status, 401);
    }
}

}  // namespace
}  // namespace berth::test
