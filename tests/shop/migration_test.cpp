// Migrations across a hot swap: expand migrations keep the data; a failing migration rolls
// back whole and leaves the old generation serving with its data intact.
#include "support/shop.hpp"

#include <gtest/gtest.h>

namespace berth::test {
namespace {

class Migration : public ::testing::Test {
protected:
    void SetUp() override {
        host_ = std::make_unique<test_host>(std::vector<plugin_spec>{{"ledger", test_plugin("ledger_v1")}});
        for (auto text : {"first", "second"})
            ASSERT_EQ(post_json(port(), "/v1/entries", {{"text", text}}).status, 201);
    }
    std::uint16_t port() { return host_->port("ledger"); }
    nlohmann::json entries() { return http_request(port(), "GET", "/v1/entries").json(); }
    reply reload(const std::string& plugin) {
        return host_->admin("POST", "/modules/ledger/reload", nlohmann::json({{"library", test_plugin(plugin).string()}}).dump());
    }
    std::filesystem::path db() { return host_->data_dir() / "ledger.db"; }
    std::unique_ptr<test_host> host_;
};

TEST_F(Migration, ASwapWithANewMigrationKeepsTheData) {
    auto r = reload("ledger_v2");
    ASSERT_EQ(r.status, 200) << r.body;
    auto e = entries();
    EXPECT_EQ(e["version"], "2.0.0");
    ASSERT_EQ(e["entries"].size(), 2u);
    EXPECT_EQ(e["entries"][0], (nlohmann::json{{"text", "first"}, {"tag", "untagged"}}));
    EXPECT_EQ(sql(db(), "SELECT MAX(version) FROM berth_migrations"), std::vector<std::string>{"2"});

    // A copy of the database was taken before the migration applied.
    std::vector<std::filesystem::path> backups;
    for (auto& f : std::filesystem::directory_iterator(host_->data_dir() / "backups")) backups.push_back(f.path());
    ASSERT_EQ(backups.size(), 1u);
    EXPECT_NE(backups[0].filename().string().find("ledger-v1-"), std::string::npos);
    EXPECT_EQ(sql(backups[0], "SELECT COUNT(*) FROM entries"), std::vector<std::string>{"2"});
    EXPECT_EQ(sql(backups[0], "SELECT MAX(version) FROM berth_migrations"), std::vector<std::string>{"1"});
}

TEST_F(Migration, AFailingMigrationLeavesTheOldGenerationServingWithItsData) {
    auto r = reload("ledger_bad");
    ASSERT_EQ(r.status, 422) << r.body;
    auto p = r.json();
    EXPECT_EQ(p["step"], "start");
    EXPECT_NE(p["detail"].get<std::string>().find("migration 2"), std::string::npos) << p.dump();
    auto e = entries();
    EXPECT_EQ(e["version"], "1.0.0");
    EXPECT_EQ(e["entries"].size(), 2u);
    // Nothing of migration 2 was applied: not even its first statement.
    EXPECT_EQ(sql(db(), "SELECT MAX(version) FROM berth_migrations"), std::vector<std::string>{"1"});
    EXPECT_EQ(sql(db(), "SELECT COUNT(*) FROM pragma_table_info('entries') WHERE name = 'tag'"), std::vector<std::string>{"0"});
    ASSERT_EQ(post_json(port(), "/v1/entries", {{"text", "third"}}).status, 201);
    EXPECT_EQ(entries()["entries"].size(), 3u);
}

}  // namespace
}  // namespace berth::test
