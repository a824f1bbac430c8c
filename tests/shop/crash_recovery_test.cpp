// The shop survives kill -9: a checkout storm against the real berthd binary, killed mid-storm,
// restarted on the same data, every unanswered key retried. Afterwards every 201 exists exactly
// once, no key was charged twice, stock taken equals stock paid for, nothing stays held or
// pending, and every database passes integrity_check. Plus: an upgrade retires the old request
// hashes (which held card data) and a replay of such a key is refused, not charged.
#include "berthd_child.hpp"
#include "support/eventually.hpp"
#include "support/shop.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <fstream>
#include <iostream>
#include <iterator>
#include <map>
#include <set>
#include <thread>

namespace berth::test {
namespace {

const char* const modules[] = {"users", "categories", "products", "payment"};

reply post(std::uint16_t port, const std::string& target, const nlohmann::json& body, const std::string& token = {},
           header_list h = {}) {
    h.emplace_back("Content-Type", "application/json");
    if (!token.empty()) h.emplace_back("Authorization", "Bearer " + token);
    return http_request(port, "POST", target, body.dump(), h);
}

std::string login(berthd_child& b, const std::string& email) {
    post(b.port("users"), "/v1/users", {{"email", email}, {"password", "storm password"}, {"name", "S"}});
    auto r = post(b.port("users"), "/v1/sessions", {{"email", email}, {"password", "storm password"}});
    if (r.status != 200) throw std::runtime_error("login failed: " + r.body);
    return r.json()["token"];
}

std::string one(const std::filesystem::path& db, const std::string& query) {
    auto rows = sql(db, query);
    return rows.size() == 1 ? rows[0] : "<" + std::to_string(rows.size()) + " rows>";
}

// Whether `query` comes to answer `want` (background sweeps) within `seconds`.
bool eventually_answers(const std::filesystem::path& db, const std::string& query, const std::string& want, int seconds) {
    return eventually([&] { return one(db, query) == want; }, std::chrono::seconds(seconds));
}

struct attempt {
    std::string token, key;
    nlohmann::json body;
    int status = -1;  // -1: no answer received
    std::string payment_id;
};

TEST(CrashRecovery, AKillNineMidStormLosesNoPaymentAndChargesNoKeyTwice) {
    temp_dir dir;
    berthd_child berthd(dir.path(), {{"products", {{"reservation_ttl_s", 3}, {"reservation_sweep_ms", 200}}},
                                     {"payment", {{"settle_after_s", 3}, {"settle_interval_ms", 200}}}});
    berthd.start();
    const std::string admin = berthd.mint_token("storm-admin", "catalog:write");
    auto cat = post(berthd.port("categories"), "/v1/categories", {{"name", "Storm"}}, admin);
    ASSERT_EQ(cat.status, 201) << cat.body;
    std::vector<long long> products;
    for (int i = 0; i < 3; ++i) {
        auto p = post(berthd.port("products"), "/v1/products",
                      {{"sku", "STORM-" + std::to_string(i)}, {"name", "Storm"}, {"price_cents", 100 + i},
                       {"currency", "EUR"}, {"category_id", cat.json()["id"]}},
                      admin);
        ASSERT_EQ(p.status, 201) << p.body;
        products.push_back(p.json()["id"]);
        ASSERT_EQ(post(berthd.port("products"), "/v1/products/" + std::to_string(products.back()) + "/restock",
                       {{"quantity", 1000}}, admin).status, 200);
    }
    std::vector<std::string> buyers;
    for (int i = 0; i < 3; ++i) buyers.push_back(login(berthd, "storm" + std::to_string(i) + "@example.org"));

    // A round: 6 threads, at most 60 checkouts each, unique keys; SIGKILL once 40 were answered;
    // then a restart on the same data and a retry (same body) of every key whose answer was lost.
    // Rounds repeat until a kill has landed inside a checkout (a pending key or a held
    // reservation left behind), at most 5.
    constexpr int threads = 6, per_thread = 60;
    std::vector<attempt> all;
    int storm_answered = 0, retried = 0, rounds = 0, left_pending = 0, left_held = 0;
    const auto payments = berthd.db("payment"), stock = berthd.db("products");
    while (left_pending + left_held == 0 && rounds < 5) {
        const int round = rounds++;
        std::vector<std::vector<attempt>> sent(threads);
        std::atomic<int> answered{0}, finished{0};
        std::atomic<bool> killed{false};
        const auto payment_port = berthd.port("payment");
        std::vector<std::thread> storm;
        for (int t = 0; t < threads; ++t)
            storm.emplace_back([&, t] {
                for (int i = 0; i < per_thread && !killed; ++i) {
                    attempt a{buyers[t % 3], "storm-" + std::to_string(round) + "-" + std::to_string(t) + "-" + std::to_string(i), {}};
                    nlohmann::json items = {{{"product_id", products[(t + i) % 3]}, {"quantity", 1 + i % 2}}};
                    if (i % 3 == 0) items.push_back({{"product_id", products[(t + i + 1) % 3]}, {"quantity", 1}});
                    a.body = {{"items", items}, {"card", shop::card()}};
                    try {
                        auto r = post(payment_port, "/v1/checkouts", a.body, a.token, {{"Idempotency-Key", a.key}});
                        a.status = r.status;
                        if (r.status == 201) a.payment_id = r.json()["payment_id"];
                        ++answered;
                    } catch (const std::exception&) {  // the connection died with berthd
                    }
                    sent[t].push_back(std::move(a));
                }
                ++finished;
            });
        while (answered < 40 && finished < threads)
            std::this_thread::sleep_for(std::chrono::milliseconds(1));
        killed = true;  // first: no new checkout starts against a dead port
        berthd.kill9();
        for (auto& th : storm) th.join();
        // What the crash left, read while nothing runs.
        left_pending += std::stoi(one(payments, "SELECT COUNT(*) FROM payments WHERE status = 'pending'"));
        left_held += std::stoi(one(stock, "SELECT COUNT(*) FROM reservations WHERE state = 'held'"));

        berthd.start();
        for (auto& v : sent)
            for (auto& a : v) {
                if (a.status != -1) {
                    ++storm_answered;
                } else {
                    ++retried;
                    for (int tries = 0; tries < 3; ++tries) {
                        auto r = post(berthd.port("payment"), "/v1/checkouts", a.body, a.token, {{"Idempotency-Key", a.key}});
                        a.status = r.status;
                        if (r.status == 201) a.payment_id = r.json()["payment_id"];
                        if (r.status != 503 && r.json().value("title", "") != "Checkout in progress") break;
                    }
                    EXPECT_EQ(a.status, 201) << a.key;
                }
                all.push_back(std::move(a));
            }
    }
    ASSERT_GT(left_pending + left_held, 0) << "no kill in " << rounds << " rounds landed inside a checkout";

    // Held stock expires (3 s) and pending keys settle (3 s): long enough that a live checkout on a
    // loaded (or sanitized) build is never overtaken; both sweeps run every 200 ms.
    EXPECT_TRUE(eventually_answers(stock, "SELECT COUNT(*) FROM reservations WHERE state = 'held'", "0", 15));
    EXPECT_TRUE(eventually_answers(payments, "SELECT COUNT(*) FROM payments WHERE status = 'pending'", "0", 15));

    // Every 201 exists exactly once, as the payment it named.
    std::map<std::string, std::string> captured;  // key -> payment id
    for (auto& row : sql(payments, "SELECT idempotency_key || ' ' || id FROM payments WHERE status = 'captured'"))
        captured[row.substr(0, row.find(' '))] = row.substr(row.find(' ') + 1);
    int answered_201 = 0;
    for (auto& a : all)
        if (a.status == 201) {
            ++answered_201;
            EXPECT_EQ(captured[a.key], a.payment_id) << a.key;
            EXPECT_EQ(one(payments, "SELECT COUNT(*) FROM payments WHERE idempotency_key = '" + a.key + "'"), "1");
        }
    EXPECT_EQ(static_cast<std::size_t>(answered_201), captured.size());

    // No key charged twice: committed reservations and captured payments match one to one.
    auto committed = sql(stock, "SELECT id FROM reservations WHERE state = 'committed' ORDER BY id");
    auto paid_for = sql(payments, "SELECT reservation_id FROM payments WHERE status = 'captured' ORDER BY reservation_id");
    EXPECT_EQ(committed, paid_for);
    EXPECT_EQ(std::set<std::string>(paid_for.begin(), paid_for.end()).size(), paid_for.size());

    // Stock taken equals stock paid for.
    const long long left = std::stoll(one(stock, "SELECT SUM(stock) FROM products"));
    const long long sold = std::stoll(one(payments, "SELECT IFNULL(SUM(i.quantity), 0) FROM payment_items i "
                                                    "JOIN payments p ON p.id = i.payment_id WHERE p.status = 'captured'"));
    EXPECT_EQ(3000 - left, sold);

    for (auto name : modules) EXPECT_EQ(sql(berthd.db(name), "PRAGMA integrity_check"), std::vector<std::string>{"ok"}) << name;
    const auto released = one(stock, "SELECT COUNT(*) FROM reservations WHERE state = 'released'");
    berthd.stop();
    std::ifstream log(dir.path() / "berthd.log");
    int settled_captured = 0, settled_freed = 0;
    for (std::string line; std::getline(log, line);) {
        settled_captured += line.find("recorded as captured") != std::string::npos;
        settled_freed += line.find("key freed") != std::string::npos;
    }
    std::cout << "[ storm    ] rounds " << rounds << " (left by the kills: " << left_pending << " pending keys, "
              << left_held << " held reservations); answered " << storm_answered << ", retried " << retried << ", captured " << captured.size()
              << ", released " << released << ", stock sold " << sold << "; settled after the kill: "
              << settled_captured << " as captured, " << settled_freed << " freed\n";
}

TEST(CrashRecovery, AnUpgradeRetiresRequestHashesThatHeldCardDataAndRefusesTheirReplay) {
    temp_dir dir;
    berthd_child berthd(dir.path(), nlohmann::json::object());
    // payment.db as the build before the keyed fingerprint left it: sha256(body) per key.
    const std::string old_hash = "5e2bf57d3f40c4b6df69daf1936cb766f832374b4fc0259a7cbff06e2f70f269";
    std::filesystem::create_directories(berthd.data_dir());
    sql_exec(berthd.db("payment"),
             "CREATE TABLE berth_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL "
             "DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')));"
             "INSERT INTO berth_migrations(version, name) VALUES(1, 'create payments');"
             "CREATE TABLE payments (id TEXT PRIMARY KEY, user_id TEXT NOT NULL, idempotency_key TEXT NOT NULL,"
             " request_hash TEXT NOT NULL, status TEXT NOT NULL, amount_cents INTEGER, currency TEXT, card_last4 TEXT,"
             " reservation_id TEXT, response_status INTEGER, response_body TEXT,"
             " created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')), UNIQUE (user_id, idempotency_key));"
             "CREATE TABLE payment_items (payment_id TEXT NOT NULL REFERENCES payments(id), product_id INTEGER NOT NULL,"
             " quantity INTEGER NOT NULL, unit_price_cents INTEGER NOT NULL, PRIMARY KEY (payment_id, product_id));"
             "INSERT INTO payments(id, user_id, idempotency_key, request_hash, status, amount_cents, currency, card_last4,"
             " response_status, response_body) VALUES('pay_old', '1', 'old-1', '" + old_hash + "', 'captured', 100, 'EUR',"
             " '4242', 201, '{\"payment_id\":\"pay_old\",\"status\":\"captured\"}');");
    berthd.start();
    const std::string token = login(berthd, "old@example.org");  // the first user: id 1
    auto replay = post(berthd.port("payment"), "/v1/checkouts",
                       {{"items", {{{"product_id", 1}, {"quantity", 1}}}}, {"card", shop::card()}}, token,
                       {{"Idempotency-Key", "old-1"}});
    EXPECT_EQ(replay.status, 409) << replay.body;
    EXPECT_EQ(replay.json().value("title", ""), "Idempotency-Key retired");
    EXPECT_EQ(replay.json().value("payment_id", ""), "pay_old");
    EXPECT_EQ(one(berthd.db("payment"), "SELECT request_hash FROM payments WHERE id = 'pay_old'"), "retired");
    berthd.stop();

    // Not in the database file, its WAL, or the copy the migration took.
    std::vector<std::filesystem::path> files = {berthd.db("payment"), berthd.data_dir() / "payment.db-wal"};
    for (auto& f : std::filesystem::directory_iterator(berthd.data_dir() / "backups")) files.push_back(f.path());
    ASSERT_GE(files.size(), 3u);  // a backup was taken
    for (auto& f : files) {
        if (!std::filesystem::exists(f)) continue;
        std::ifstream in(f, std::ios::binary);
        const std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
        EXPECT_EQ(bytes.find(old_hash), std::string::npos) << f;
    }
}

}  // namespace
}  // namespace berth::test
