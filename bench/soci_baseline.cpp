// soci_baseline: the baseline for bench/shop's checkout figure. The SQLite write transactions
// one Berth checkout makes, done directly through SOCI with the same settings the modules use,
// with no HTTP, no plugin boundary and no module-to-module calls:
//   payment.db (synchronous=FULL):  claim the key (INSERT); record the payment (UPDATE + INSERT item)
//   products.db (synchronous=NORMAL): reserve (INSERT reservation, UPDATE stock, INSERT item); commit (UPDATE)
//
//     soci_baseline DIR CHECKOUTS THREADS     prints "checkouts N seconds S rate R"
#include <soci/soci.h>
#include <soci/sqlite3/soci-sqlite3.h>

#include <atomic>
#include <chrono>
#include <iostream>
#include <string>
#include <thread>
#include <vector>

namespace {

void configure(soci::session& s, const std::string& synchronous) {
    s << "PRAGMA busy_timeout = 5000";
    s << "PRAGMA journal_mode = WAL";
    s << "PRAGMA foreign_keys = ON";
    s << "PRAGMA synchronous = " + synchronous;
}

}  // namespace

int main(int argc, char** argv) {
    if (argc != 4) {
        std::cerr << "usage: soci_baseline DIR CHECKOUTS THREADS\n";
        return 2;
    }
    const std::string dir = argv[1];
    const long checkouts = std::stol(argv[2]);
    const int threads = std::max(1, std::stoi(argv[3]));
    {
        soci::session p(soci::sqlite3, "db=" + dir + "/payment.db");
        configure(p, "FULL");
        p << "CREATE TABLE IF NOT EXISTS payments (id TEXT PRIMARY KEY, user_id TEXT NOT NULL, idempotency_key TEXT NOT NULL,"
             " request_hash TEXT NOT NULL, status TEXT NOT NULL, amount_cents INTEGER, currency TEXT, card_last4 TEXT,"
             " reservation_id TEXT, response_status INTEGER, response_body TEXT, UNIQUE (user_id, idempotency_key))";
        p << "CREATE TABLE IF NOT EXISTS payment_items (payment_id TEXT NOT NULL REFERENCES payments(id), product_id INTEGER,"
             " quantity INTEGER, unit_price_cents INTEGER, PRIMARY KEY (payment_id, product_id))";
        soci::session q(soci::sqlite3, "db=" + dir + "/products.db");
        configure(q, "NORMAL");
        q << "CREATE TABLE IF NOT EXISTS products (id INTEGER PRIMARY KEY, stock INTEGER NOT NULL CHECK (stock >= 0),"
             " price_cents INTEGER NOT NULL, currency TEXT NOT NULL, status TEXT NOT NULL)";
        q << "CREATE TABLE IF NOT EXISTS reservations (id TEXT PRIMARY KEY, state TEXT NOT NULL)";
        q << "CREATE TABLE IF NOT EXISTS reservation_items (reservation_id TEXT NOT NULL REFERENCES reservations(id),"
             " product_id INTEGER NOT NULL REFERENCES products(id), quantity INTEGER, unit_price_cents INTEGER, currency TEXT,"
             " PRIMARY KEY (reservation_id, product_id))";
        q << "INSERT OR REPLACE INTO products VALUES (1, 100000000, 1000, 'EUR', 'active')";
    }

    std::atomic<long> next{0};
    auto start = std::chrono::steady_clock::now();
    std::vector<std::thread> pool;
    for (int t = 0; t < threads; ++t)
        pool.emplace_back([&] {
            soci::session p(soci::sqlite3, "db=" + dir + "/payment.db");
            configure(p, "FULL");
            soci::session q(soci::sqlite3, "db=" + dir + "/products.db");
            configure(q, "NORMAL");
            for (long i; (i = next.fetch_add(1)) < checkouts;) {
                const std::string id = "pay_" + std::to_string(i), key = "key-" + std::to_string(i), res = "res_" + std::to_string(i);
                const std::string user = "1", hash = std::string(64, 'a'), body = std::string(220, 'b');
                long long product = 1, quantity = 1, price = 1000, stock = 0;
                std::string currency, status;
                p << "BEGIN IMMEDIATE";
                int found = 0;
                p << "SELECT COUNT(*) FROM payments WHERE user_id = :u AND idempotency_key = :k", soci::into(found),
                    soci::use(user), soci::use(key);
                p << "INSERT INTO payments(id, user_id, idempotency_key, request_hash, status) VALUES(:i, :u, :k, :h, 'pending')",
                    soci::use(id), soci::use(user), soci::use(key), soci::use(hash);
                p << "COMMIT";

                q << "BEGIN IMMEDIATE";
                q << "INSERT INTO reservations(id, state) VALUES(:r, 'held')", soci::use(res);
                q << "SELECT price_cents, currency, stock, status FROM products WHERE id = :p", soci::into(price),
                    soci::into(currency), soci::into(stock), soci::into(status), soci::use(product);
                q << "UPDATE products SET stock = stock - :q WHERE id = :p", soci::use(quantity), soci::use(product);
                q << "INSERT INTO reservation_items VALUES(:r, :p, :q, :u, :c)", soci::use(res), soci::use(product),
                    soci::use(quantity), soci::use(price), soci::use(currency);
                q << "COMMIT";
                q << "BEGIN IMMEDIATE";
                std::string state;
                q << "SELECT state FROM reservations WHERE id = :r", soci::into(state), soci::use(res);
                q << "UPDATE reservations SET state = 'committed' WHERE id = :r", soci::use(res);
                q << "COMMIT";

                p << "BEGIN IMMEDIATE";
                p << "UPDATE payments SET status = 'captured', amount_cents = :a, currency = :c, card_last4 = '4242',"
                     " reservation_id = :r, response_status = 201, response_body = :b WHERE id = :i",
                    soci::use(price), soci::use(currency), soci::use(res), soci::use(body), soci::use(id);
                p << "INSERT INTO payment_items VALUES(:i, :p, :q, :u)", soci::use(id), soci::use(product), soci::use(quantity),
                    soci::use(price);
                p << "COMMIT";
            }
        });
    for (auto& t : pool) t.join();
    double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    std::cout << "checkouts " << checkouts << " seconds " << seconds << " rate " << checkouts / seconds << "\n";
}
