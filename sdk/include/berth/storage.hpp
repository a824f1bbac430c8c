// Berth SDK storage: a module's own database through SOCI, opened the way this platform needs.
//
//     berth::database db(ctx, {.synchronous = "FULL"});          // in start()
//     db.migrate({{1, "create payments", {"CREATE TABLE ..."}}}); // ordered, one transaction
//     auto s = db.lease();                                         // in a handler (worker thread)
//     berth::immediate_transaction tx(*s);                         // read-then-write work
//     ...; tx.commit();
//
// Header-only and compiled into the plugin (link berth::storage, which brings SOCI's core and
// SQLite backend). The connection string comes from the module's "database" config:
// "sqlite3://db=/path/file.db" (the default, under data_dir). SQLite connections get WAL,
// a busy timeout, foreign keys and the synchronous level you choose. Sessions come from a
// pool with a bounded wait (a busy database answers 503, it never blocks a worker forever).
// Database work belongs on worker threads (handlers, start), never on an I/O thread.
#pragma once

#include <berth/plugin.hpp>

#include <soci/soci.h>
#include <soci/sqlite3/soci-sqlite3.h>

#include <chrono>
#include <ctime>
#include <filesystem>
#include <memory>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

namespace berth {

struct database_options {
    std::string synchronous = "NORMAL";  // FULL for money
    int busy_timeout_ms = 5000;
    std::size_t pool_size = 4;
    std::chrono::milliseconds lease_timeout{5000};
    bool secure_delete = false;  // zero deleted and overwritten content on disk (secrets, card-adjacent data)
};

struct migration {
    int version;                      // strictly increasing
    std::string name;
    std::vector<std::string> statements;
};

class database;

// BEGIN IMMEDIATE ... COMMIT; rolls back unless committed. Use it for read-then-write work:
// a deferred BEGIN upgrades its lock at the first write and fails with SQLITE_BUSY whatever
// the timeout. Made from a database lease, it also queues on the database's in-process writer
// lock first, so writers of one module wait their turn instead of polling SQLite's busy
// handler (which sleeps in steps of up to 100 ms).
class immediate_transaction {
public:
    explicit immediate_transaction(soci::session& s) : s_(s) { s_ << "BEGIN IMMEDIATE"; }
    template <class Lease, class = decltype(std::declval<Lease&>().writer())>
    explicit immediate_transaction(Lease& lease) : writer_(lease.writer()), s_(*lease) {
        s_ << "BEGIN IMMEDIATE";
    }
    ~immediate_transaction() {
        if (!done_) {
            try {
                s_ << "ROLLBACK";
            } catch (...) {
            }
        }
    }
    immediate_transaction(const immediate_transaction&) = delete;
    immediate_transaction& operator=(const immediate_transaction&) = delete;
    // Commits and lets the next writer in.
    void commit() {
        s_ << "COMMIT";
        done_ = true;
        if (writer_.owns_lock()) writer_.unlock();
    }

private:
    std::unique_lock<std::mutex> writer_;  // released after COMMIT/ROLLBACK (members die after the body)
    soci::session& s_;
    bool done_ = false;
};

class database {
public:
    // A session borrowed from the pool; returned when this goes out of scope.
    class session_lease {
    public:
        session_lease(soci::connection_pool& pool, std::size_t index, std::mutex& writer)
            : pool_(&pool), index_(index), writer_(&writer) {}
        session_lease(session_lease&& o) noexcept
            : pool_(std::exchange(o.pool_, nullptr)), index_(o.index_), writer_(o.writer_) {}
        session_lease(const session_lease&) = delete;
        ~session_lease() {
            if (pool_) pool_->give_back(index_);
        }
        soci::session& operator*() const { return pool_->at(index_); }
        soci::session* operator->() const { return &pool_->at(index_); }
        // The module-wide writer lock, taken by immediate_transaction.
        std::unique_lock<std::mutex> writer() const { return std::unique_lock<std::mutex>(*writer_); }

    private:
        soci::connection_pool* pool_;
        std::size_t index_;
        std::mutex* writer_;
    };

    database(const context& ctx, database_options options = {}) : options_(std::move(options)), ctx_(ctx) {
        const std::string& conn = ctx.database();
        auto sep = conn.find("://");
        const std::string backend = sep == std::string::npos ? "sqlite3" : conn.substr(0, sep);
        connect_ = sep == std::string::npos ? conn : conn.substr(sep + 3);
        if (backend != "sqlite3")
            throw std::runtime_error("database backend '" + backend + "' is not built into this module (sqlite3 is)");
        auto at = connect_.find("db=");
        if (at != std::string::npos) {
            auto end = connect_.find(' ', at);
            path_ = connect_.substr(at + 3, end == std::string::npos ? std::string::npos : end - at - 3);
            std::filesystem::create_directories(std::filesystem::path(path_).parent_path());
        }
        backups_ = std::filesystem::path(ctx.data_dir()) / "backups";
        module_ = ctx.module();
        pool_ = std::make_unique<soci::connection_pool>(options_.pool_size);
        for (std::size_t i = 0; i < options_.pool_size; ++i) {
            auto& s = pool_->at(i);
            s.open(soci::sqlite3, connect_);  // the linked backend's factory, never a dlopen by name
            s << "PRAGMA busy_timeout = " + std::to_string(options_.busy_timeout_ms);
            s << "PRAGMA journal_mode = WAL";
            s << "PRAGMA foreign_keys = ON";
            s << "PRAGMA synchronous = " + options_.synchronous;
            if (options_.secure_delete) s << "PRAGMA secure_delete = ON";
        }
    }

    // Borrows a session, waiting at most lease_timeout; a database that stays busy answers 503.
    // The wait, granted or not, goes to the host's metrics.
    session_lease lease() {
        std::size_t index = 0;
        const auto began = std::chrono::steady_clock::now();
        const bool granted = pool_->try_lease(index, static_cast<int>(options_.lease_timeout.count()));
        ctx_.report_lease_wait(std::chrono::steady_clock::now() - began, granted);
        if (!granted) throw http_error(503, "Database busy", "no database connection became free in time");
        return {*pool_, index, writer_};
    }

    // Applies the migrations newer than the database's, in order, in one transaction, after
    // copying the database to data_dir/backups/. Throws (so start() fails and a swap keeps the
    // old generation) if any statement fails; nothing of it is applied then.
    // Returns how many were applied.
    int migrate(const std::vector<migration>& migrations) {
        auto s = lease();
        *s << "CREATE TABLE IF NOT EXISTS berth_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, "
              "applied_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')))";
        int current = 0;
        soci::indicator ind = soci::i_ok;
        *s << "SELECT MAX(version) FROM berth_migrations", soci::into(current, ind);
        if (ind != soci::i_ok) current = 0;
        std::vector<const migration*> pending;
        for (auto& m : migrations)
            if (m.version > current) pending.push_back(&m);
        if (pending.empty()) return 0;
        if (current > 0 && !path_.empty()) backup(*s, current);
        immediate_transaction tx(s);
        for (auto* m : pending) {
            for (auto& sql : m->statements) {
                try {
                    *s << sql;
                } catch (const std::exception& e) {
                    throw std::runtime_error("migration " + std::to_string(m->version) + " (" + m->name +
                                             ") failed: " + e.what());
                }
            }
            *s << "INSERT INTO berth_migrations(version, name) VALUES(:v, :n)", soci::use(m->version),
                soci::use(m->name);
        }
        tx.commit();
        return static_cast<int>(pending.size());
    }

    int schema_version() {
        auto s = lease();
        int v = 0;
        soci::indicator ind = soci::i_ok;
        *s << "SELECT MAX(version) FROM berth_migrations", soci::into(v, ind);
        return ind == soci::i_ok ? v : 0;
    }

    const std::string& path() const { return path_; }

private:
    void backup(soci::session& s, int version) {
        std::filesystem::create_directories(backups_);
        char stamp[32];
        std::time_t now = std::time(nullptr);
        std::tm tm{};
        gmtime_r(&now, &tm);
        std::strftime(stamp, sizeof stamp, "%Y%m%dT%H%M%SZ", &tm);
        auto target = backups_ / (module_ + "-v" + std::to_string(version) + "-" + stamp + ".db");
        for (int i = 1; std::filesystem::exists(target); ++i)
            target = backups_ / (module_ + "-v" + std::to_string(version) + "-" + stamp + "-" + std::to_string(i) + ".db");
        std::string quoted;
        for (char c : target.string()) quoted += c == '\'' ? std::string("''") : std::string(1, c);
        s << "VACUUM INTO '" + quoted + "'";
    }

    database_options options_;
    context ctx_;  // a copy: it reaches the host for lease reports wherever the caller's went
    std::string connect_, path_, module_;
    std::filesystem::path backups_;
    std::unique_ptr<soci::connection_pool> pool_;
    std::mutex writer_;
};

}  // namespace berth
