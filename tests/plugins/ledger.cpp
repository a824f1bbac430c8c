// ledger: a test module with a database, built three times (see tests/CMakeLists.txt) to
// exercise migrations across a swap:
//   LEDGER_VARIANT 1  migration 1 (entries)
//   LEDGER_VARIANT 2  + migration 2 (expand: entries.tag with a default)
//   LEDGER_VARIANT 3  + a migration 2 whose second statement fails
#include <berth/plugin.hpp>
#include <berth/storage.hpp>

#include "latch.hpp"

#include <chrono>
#include <thread>

#ifndef LEDGER_VARIANT
#define LEDGER_VARIANT 1
#endif

namespace {

std::vector<berth::migration> migrations() {
    std::vector<berth::migration> m = {
        {1, "create entries", {"CREATE TABLE entries (id INTEGER PRIMARY KEY, text TEXT NOT NULL)"}},
    };
    if (LEDGER_VARIANT == 2)
        m.push_back({2, "add tag", {"ALTER TABLE entries ADD COLUMN tag TEXT NOT NULL DEFAULT 'untagged'"}});
    if (LEDGER_VARIANT == 3)
        m.push_back({2, "add tag, badly", {"ALTER TABLE entries ADD COLUMN tag TEXT", "INSERT INTO no_such_table VALUES (1)"}});
    return m;
}

class ledger final : public berth::plugin {
public:
    static constexpr berth::manifest manifest{"ledger", LEDGER_VARIANT == 1 ? "1.0.0" : LEDGER_VARIANT == 2 ? "2.0.0" : "3.0.0"};

    void routes(berth::router& r) override {
        r.post("/v1/entries", [this](const berth::request& req) {
             const std::string text = req.json()["text"].get<std::string>();
             auto s = db_->lease();
             *s << "INSERT INTO entries(text) VALUES(:t)", soci::use(text);
             return berth::response::json(201, {{"text", text}});
         }).schema({{"type", "object"}, {"required", {"text"}}, {"properties", {{"text", {{"type", "string"}}}}}});
        r.get("/v1/entries", [this](const berth::request&) {
            auto s = db_->lease();
            nlohmann::json out = nlohmann::json::array();
            std::string text, tag = "-";
            std::string sql = LEDGER_VARIANT == 2 ? "SELECT text, tag FROM entries ORDER BY id" : "SELECT text, '-' FROM entries ORDER BY id";
            soci::statement st = (s->prepare << sql, soci::into(text), soci::into(tag));
            st.execute();
            while (st.fetch()) out.push_back({{"text", text}, {"tag", tag}});
            return berth::response::json(200, {{"version", manifest.version}, {"entries", out}});
        });
        // Holds a database session for ?ms= (at most 5000), so that another lease can time out.
        r.get("/v1/hold", [this](const berth::request& req) {
            const int ms = std::stoi(std::string(req.query("ms").value_or("100")));  // 0..5000 by the schema
            auto s = db_->lease();
            std::this_thread::sleep_for(std::chrono::milliseconds(ms));
            return berth::response::json(200, {{"held_ms", ms}});
        }).query({{"type", "object"}, {"properties", {{"ms", {{"type", "integer"}, {"minimum", 0}, {"maximum", 5000}}}}}});
        // Holds a database session until the latch {name} opens (tests/plugins/latch.hpp).
        r.get("/v1/hold/{name}", [this](const berth::request& req) {
            auto s = db_->lease();
            const bool released = berth_test_latch::wait(latch_dir_, req.param("name"));
            return berth::response::json(released ? 200 : 504, {{"released", released}});
        });
        berth_test_latch::add_routes(r, latch_dir_);
    }

    // Settings: pool_size and lease_timeout_ms (the database options), for the lease tests.
    void start(const berth::context& ctx) override {
        berth::database_options options;
        options.pool_size = static_cast<std::size_t>(ctx.integer_setting("pool_size", 4, 1, 16));
        options.lease_timeout = std::chrono::milliseconds(ctx.integer_setting("lease_timeout_ms", 5000, 1, 60000));
        db_ = std::make_unique<berth::database>(ctx, options);
        db_->migrate(migrations());
        latch_dir_ = berth_test_latch::dir_setting(ctx);
    }
    void stop() override { db_.reset(); }

private:
    std::unique_ptr<berth::database> db_;
    std::string latch_dir_;
};

}  // namespace

BERTH_PLUGIN(ledger)
