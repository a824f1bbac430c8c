// The payments table's rows as checkout and settlement use them: the Idempotency-Key record,
// the answer stored under it, and the moves a pending row can make (forgotten, or captured).
#pragma once

#include <berth/plugin.hpp>
#include <berth/storage.hpp>

#include <sodium.h>

#include <filesystem>
#include <mutex>
#include <set>
#include <string>

namespace payment_detail {

// "<prefix>" and 24 random hex digits: pay_..., ref_...
inline std::string new_id(const char* prefix) {
    unsigned char raw[12];
    randombytes_buf(raw, sizeof raw);
    char hex[25];
    sodium_bin2hex(hex, sizeof hex, raw, sizeof raw);
    return prefix + std::string(hex);
}

// An outcome to store under the Idempotency-Key and to answer with, now and on every retry.
struct outcome {
    int status;
    std::string body;  // JSON text, stored and replayed as it is

    // A refusal, as the SDK writes problems (RFC 9457).
    static outcome problem(int status, std::string_view title, std::string_view detail,
                           nlohmann::json extra = nlohmann::json::object()) {
        auto r = berth::response::problem(status, title, detail, std::move(extra));
        return {r.status, std::move(r.body)};
    }
    berth::response response() const {
        return berth::response{status,
                               {{"Content-Type", status >= 400 ? "application/problem+json" : "application/json"}},
                               body};
    }
};

inline nlohmann::json captured_answer(const std::string& id, long long amount, const std::string& currency,
                                      const nlohmann::json& items, const std::string& last4) {
    return {{"payment_id", id},   {"status", "captured"}, {"amount_cents", amount},
            {"currency", currency}, {"items", items},       {"card_last4", last4}};
}

// One (user, Idempotency-Key) row.
struct record {
    std::string id, hash, status, response_body, reservation_id;
    int response_status = 0;
    double age_s = 0;  // since the key was claimed
    bool found = false;
};

inline record find(soci::session& s, const std::string& user, const std::string& key) {
    record r;
    soci::indicator si = soci::i_null, bi = soci::i_null, ri = soci::i_null;
    s << "SELECT id, request_hash, status, response_status, response_body, reservation_id, "
         "(julianday('now') - julianday(created_at)) * 86400.0 FROM payments "
         "WHERE user_id = :u AND idempotency_key = :k",
        soci::into(r.id), soci::into(r.hash), soci::into(r.status), soci::into(r.response_status, si),
        soci::into(r.response_body, bi), soci::into(r.reservation_id, ri), soci::into(r.age_s), soci::use(user),
        soci::use(key);
    r.found = s.got_data();
    if (ri != soci::i_ok) r.reservation_id.clear();
    return r;
}

// The items a payment charged, at the prices it charged them.
inline nlohmann::json load_items(soci::session& s, const std::string& id) {
    nlohmann::json items = nlohmann::json::array();
    long long product = 0, quantity = 0, unit = 0;
    soci::statement st = (s.prepare << "SELECT product_id, quantity, unit_price_cents FROM payment_items "
                                       "WHERE payment_id = :id ORDER BY product_id",
                          soci::into(product), soci::into(quantity), soci::into(unit), soci::use(id));
    st.execute();
    while (st.fetch()) items.push_back({{"product_id", product}, {"quantity", quantity}, {"unit_price_cents", unit}});
    return items;
}

// Deletes a row that is still pending (nothing was charged), so its key can be used afresh.
inline void forget(berth::database& db, const std::string& id) {
    auto s = db.lease();
    berth::immediate_transaction tx(s);
    int pending = 0;
    *s << "SELECT COUNT(*) FROM payments WHERE id = :id AND status = 'pending'", soci::into(pending), soci::use(id);
    if (pending) {
        *s << "DELETE FROM payment_items WHERE payment_id = :id", soci::use(id);
        *s << "DELETE FROM payments WHERE id = :id", soci::use(id);
    }
    tx.commit();
}

// A pending row whose stock was committed: the money moved, so it becomes the captured payment,
// with the answer the checkout would have given (amount, items and last four were recorded
// with the reservation). Returns false if the row is not pending any more.
inline bool record_captured(berth::database& db, const std::string& id) {
    auto s = db.lease();
    berth::immediate_transaction tx(s);
    long long amount = 0;
    std::string currency, last4;
    soci::indicator ai = soci::i_null, ci = soci::i_null, li = soci::i_null;
    *s << "SELECT amount_cents, currency, card_last4 FROM payments WHERE id = :id AND status = 'pending'",
        soci::into(amount, ai), soci::into(currency, ci), soci::into(last4, li), soci::use(id);
    if (!s->got_data() || ai != soci::i_ok) return false;
    const nlohmann::json items = load_items(*s, id);
    const std::string body = captured_answer(id, amount, currency, items, last4).dump();
    *s << "UPDATE payments SET status = 'captured', response_status = 201, response_body = :b WHERE id = :id",
        soci::use(body), soci::use(id);
    tx.commit();
    return true;
}

// After the migration retired the old hashes: their bytes must not survive in the WAL or in
// the copy the migration took (backups/payment-v1-*.db).
inline void scrub_old_copies(const berth::context& ctx, berth::database& db) {
    try {
        auto s = db.lease();
        *s << "PRAGMA wal_checkpoint(TRUNCATE)";
    } catch (const std::exception& e) {
        ctx.log(berth::log_level::warn, std::string("WAL checkpoint after migration failed: ") + e.what());
    }
    const auto dir = std::filesystem::path(ctx.data_dir()) / "backups";
    std::error_code ec;
    for (auto& f : std::filesystem::directory_iterator(dir, ec)) {
        const std::string name = f.path().filename().string();
        if (name.rfind(ctx.module() + "-v", 0) != 0 || f.path().extension() != ".db") continue;
        try {
            soci::session b(soci::sqlite3, "db=" + f.path().string());
            b << "PRAGMA secure_delete = ON";
            b << "UPDATE payments SET request_hash = 'retired' WHERE request_hash NOT LIKE 'v2:%' AND request_hash <> 'retired'";
            b << "VACUUM";
        } catch (const std::exception& e) {
            ctx.log(berth::log_level::error, "could not retire old request hashes in " + name + ": " + e.what());
        }
    }
}

// Checkouts running in this instance: settlement leaves their rows alone.
class in_flight {
public:
    class guard {
    public:
        guard(in_flight& set, std::string id) : set_(set), id_(std::move(id)) {
            std::lock_guard lock(set_.mutex_);
            set_.ids_.insert(id_);
        }
        ~guard() {
            std::lock_guard lock(set_.mutex_);
            set_.ids_.erase(id_);
        }
        guard(const guard&) = delete;
        guard& operator=(const guard&) = delete;

    private:
        in_flight& set_;
        std::string id_;
    };
    bool contains(const std::string& id) {
        std::lock_guard lock(mutex_);
        return ids_.count(id) > 0;
    }

private:
    std::mutex mutex_;
    std::set<std::string> ids_;
};

}  // namespace payment_detail
