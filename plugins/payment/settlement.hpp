// Settles checkouts cut short (a crash between claiming an Idempotency-Key and storing the
// answer) against products, so their keys and their stock are not stuck:
//   - reservation committed: the money moved; the row becomes the captured payment, and a retry
//     replays its 201;
//   - reservation held: it is released; then as below;
//   - reservation released or unknown, or none recorded: nothing was charged; the row is
//     deleted, so a retry is a fresh attempt (an unrecorded reservation expires in products).
// Only rows older than settle_after_s and not running in this instance are touched: a row of
// another generation still draining is younger than that.
#pragma once

#include "drain_repair.hpp"
#include "records.hpp"

#include <berth/plugin.hpp>
#include <berth/storage.hpp>

#include <chrono>
#include <string>
#include <utility>
#include <vector>

namespace payment_detail {

class settlement {
public:
    settlement(const berth::context& ctx, berth::database& db, in_flight& running, long long settle_after_s)
        : ctx_(ctx), db_(db), running_(running), after_s_(settle_after_s) {}

    bool due(const record& r) { return r.status == "pending" && r.age_s >= after_s_ && !running_.contains(r.id); }

    // One pending row; false if products could not tell (try again later).
    bool settle(const std::string& id, const std::string& reservation_id) {
        if (reservation_id.empty()) {  // cut short before the reservation was recorded
            forget(db_, id);
            ctx_.log(berth::log_level::warn, "payment " + id + " settled: no reservation recorded; key freed");
            return true;
        }
        std::string state = state_of(reservation_id);
        if (state == "held") {
            auto r = ctx_.call("products", "POST", "/v1/reservations/" + reservation_id + "/release");
            if (r.ok()) state = "released";
            else if (r.status == 409) state = state_of(reservation_id);  // committed meanwhile
            else return false;
        }
        if (state == "committed") {
            if (record_captured(db_, id))
                ctx_.log(berth::log_level::warn, "payment " + id + " settled: stock was committed; recorded as captured");
            return true;
        }
        if (state == "released" || state == "missing") {
            forget(db_, id);
            ctx_.log(berth::log_level::warn, "payment " + id + " settled: reservation " + state + "; key freed");
            return true;
        }
        return false;
    }

    // The periodic pass runs every `every`: the repair of old writes covers at least three of them.
    void repair_for(std::chrono::milliseconds every) { repair_window_ = std::max(repair_window_, 3 * every); }

    // The periodic pass: repairs what a draining older generation may still write
    // (drain_repair.hpp; for the first minutes after start only: it scans the table), then
    // settles what is due.
    void run() {
        try {
            if (std::chrono::steady_clock::now() < started_ + repair_window_) repair_old_writes(db_);
            std::vector<std::pair<std::string, std::string>> due_rows;
            {
                auto s = db_.lease();
                const std::string age = "-" + std::to_string(after_s_) + " seconds";
                std::string id, reservation;
                soci::indicator ri = soci::i_null;
                soci::statement st =
                    (s->prepare << "SELECT id, reservation_id FROM payments WHERE status = 'pending' AND "
                                   "created_at <= strftime('%Y-%m-%dT%H:%M:%fZ', 'now', :age) ORDER BY created_at LIMIT 200",
                     soci::into(id), soci::into(reservation, ri), soci::use(age));
                st.execute();
                while (st.fetch()) due_rows.emplace_back(id, ri == soci::i_ok ? reservation : std::string());
            }
            for (auto& [id, reservation] : due_rows)
                if (!running_.contains(id)) settle(id, reservation);
        } catch (const std::exception& e) {
            ctx_.log(berth::log_level::warn, std::string("settling pending payments failed: ") + e.what());
        }
    }

private:
    // "held", "committed", "released", "missing" (products has no such reservation), or "" (no answer).
    std::string state_of(const std::string& reservation_id) {
        auto r = ctx_.call("products", "GET", "/v1/reservations/" + reservation_id);
        // Only products' own "no such reservation" counts: a 404 for want of the route (an older
        // build) must not free a key whose stock may have been sold.
        auto j = r.json();
        if (r.status == 404) return j.is_object() && j.value("title", "") == "No such reservation" ? "missing" : "";
        if (!r.ok()) return "";
        return j.is_object() && j.contains("state") && j["state"].is_string() ? j["state"].get<std::string>() : "";
    }

    const berth::context& ctx_;
    berth::database& db_;
    in_flight& running_;
    long long after_s_;
    std::chrono::steady_clock::time_point started_ = std::chrono::steady_clock::now();
    // Ten minutes, which outlast a drain, or three passes when settle_interval_ms is longer (an
    // hourly pass would otherwise repair only at start, before an old generation wrote anything).
    std::chrono::milliseconds repair_window_ = std::chrono::minutes(10);
};

}  // namespace payment_detail
