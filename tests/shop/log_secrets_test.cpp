// No secret reaches a log: a whole purchase walkthrough (accounts, a password change, an
// operator's token, the catalogue, checkouts with good, declined and invalid cards, a refund)
// with every log written to a file at debug level; then each log (host, access, event, audit)
// is searched for every password, token, card number and key the walkthrough used.
#include "support/host_log.hpp"
#include "support/shop.hpp"

#include "ops/logging.hpp"

#include <gtest/gtest.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <fstream>
#include <sstream>

namespace berth::test {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

std::string text_of(const fs::path& file) {
    std::ifstream in(file);
    std::stringstream s;
    s << in.rdbuf();
    return s.str();
}

std::string first_word_of(const fs::path& file) {
    std::ifstream in(file);
    std::string word;
    in >> word;
    return word;
}

TEST(LogSecrets, APurchaseWalkthroughLeavesNoSecretInAnyLog) {
    temp_dir logs;
    const auto host_file = logs.path() / "berthd.log";
    host_log debug(host_file, "debug");
    const json top = {{"logging",
                       {{"level", "debug"},
                        {"access", {{"enabled", true}, {"destination", "file"}, {"file", {{"path", (logs.path() / "access.log").string()}}}}},
                        {"events", {{"enabled", true}, {"destination", "file"}, {"file", {{"path", (logs.path() / "events.log").string()}}}}}}}};
    shop s(top);
    std::vector<std::string> secrets;
    auto secret = [&](std::string v) {
        secrets.push_back(v);
        return v;
    };

    // Accounts: two shoppers, a password change, a wrong password, a password too short.
    const auto pw_ada = secret("ada-pass-Kq83vX19"), pw_ada_new = secret("ada-new-pass-Zt55mW02");
    const auto pw_bob = secret("bob-pass-Hy27nP64"), pw_short = secret("Sh0rt!");
    const auto ada = secret(s.login("ada@shop.example", pw_ada));
    const auto bob = secret(s.login("bob@shop.example", pw_bob));
    EXPECT_EQ(s.get(s.users(), "/v1/users/me", ada).status, 200);
    auto tampered = ada;
    tampered.back() = tampered.back() == 'A' ? 'B' : 'A';
    EXPECT_EQ(s.get(s.users(), "/v1/users/me", secret(tampered)).status, 401);  // a refused token: a debug line
    EXPECT_EQ(s.post(s.users(), "/v1/users/me/password", {{"current_password", pw_ada}, {"new_password", pw_ada_new}}, ada).status, 204);
    EXPECT_EQ(s.post(s.users(), "/v1/sessions", {{"email", "ada@shop.example"}, {"password", pw_ada}}).status, 401);
    const auto ada2 = secret(s.post(s.users(), "/v1/sessions", {{"email", "ada@shop.example"}, {"password", pw_ada_new}}).json()["token"]);
    EXPECT_EQ(s.post(s.users(), "/v1/users", {{"email", "cy@shop.example"}, {"password", pw_short}, {"name", "Cy"}}).status, 400);

    // The operator's token (admin API), the catalogue, stock.
    const auto op = secret(s.admin_token());
    const auto product = s.product("LAMP-1", 2500, 10);
    const auto other = s.product("LAMP-2", 900, 10);

    // Checkouts: paid, declined, a number failing Luhn, a card past its date; a replay; a refund.
    const auto good = secret("4242424242424242"), declined = secret("4000000000000002"), luhn = secret("4242424242424241");
    const json items = json::array({{{"product_id", product}, {"quantity", 1}}});
    auto paid = s.checkout(ada2, "order-1", items, shop::card(good));
    ASSERT_EQ(paid.status, 201) << paid.body;
    EXPECT_EQ(s.checkout(ada2, "order-1", items, shop::card(good)).status, 201);  // the replay
    EXPECT_EQ(s.checkout(bob, "order-2", json::array({{{"product_id", other}, {"quantity", 1}}}), shop::card(declined)).status, 402);
    EXPECT_EQ(s.checkout(bob, "order-3", items, shop::card(luhn)).status, 422);
    auto expired = shop::card(good);
    expired["exp_year"] = 2001;
    EXPECT_EQ(s.checkout(bob, "order-4", items, expired).status, 422);
    const std::string payment = paid.json()["payment_id"];
    EXPECT_EQ(s.get(s.payment(), "/v1/payments/" + payment, ada2).status, 200);
    EXPECT_EQ(s.post(s.payment(), "/v1/payments/" + payment + "/refund", nullptr, ada2).status, 200);

    // The keys: the token signing key and the admin token, as the files hold them (hex).
    const auto data = s.host().data_dir();
    secrets.push_back(first_word_of(data / "token.key"));
    secrets.push_back(first_word_of(data / "admin.token"));
    s.host().runtime().stop();  // every line written and flushed

    const std::vector<fs::path> files = {host_file, logs.path() / "access.log", logs.path() / "events.log", data / "audit.log"};
    // The logs are there and say what happened: a search of empty files would prove nothing.
    const auto host_text = text_of(files[0]), access = text_of(files[1]), events = text_of(files[2]), audit = text_of(files[3]);
    EXPECT_NE(host_text.find("\"level\":\"debug\""), std::string::npos) << "the host log has no debug line";
    EXPECT_NE(host_text.find("bearer token refused"), std::string::npos);
    EXPECT_NE(access.find("\"route\":\"/v1/checkouts\""), std::string::npos);
    EXPECT_NE(access.find("\"route\":\"/v1/sessions\""), std::string::npos);
    EXPECT_NE(events.find("\"kind\":\"admin_call\""), std::string::npos);
    EXPECT_NE(audit.find("/tokens"), std::string::npos);
    ASSERT_GE(secrets.size(), 14u);
    for (auto& v : secrets) ASSERT_GE(v.size(), 6u) << "a secret too short to search for";

    std::size_t lines = 0, found = 0;
    for (auto& file : files) {
        const auto text = text_of(file);
        lines += static_cast<std::size_t>(std::count(text.begin(), text.end(), '\n'));
        for (auto& v : secrets) {
            const bool holds = text.find(v) != std::string::npos;
            found += holds;
            EXPECT_FALSE(holds) << file.filename() << " holds the secret " << v;
        }
    }
    std::cout << "[ secrets  ] " << secrets.size() << " secrets searched in " << files.size() << " logs (" << lines
              << " lines): " << found << " found\n";
}

}  // namespace
}  // namespace berth::test
