// payment: checkout (reserve stock, charge the card, commit or release), payments listed and
// shown (listing.hpp, views.hpp), refunds (refunds.hpp). Owns var/payment.db (synchronous=FULL:
// this is money): payments, payment_items, refunds (migrations.hpp). Card numbers never leave
// the request: only the last four digits are stored, and the Idempotency-Key fingerprint is
// keyed (fingerprint.hpp). Checkouts cut short by a crash are settled against products
// (settlement.hpp); keys expire (idempotency.hpp).
#include <berth/periodic.hpp>
#include <berth/plugin.hpp>
#include <berth/storage.hpp>

#include "fingerprint.hpp"
#include "idempotency.hpp"
#include "listing.hpp"
#include "migrations.hpp"
#include "records.hpp"
#include "refunds.hpp"
#include "schemas.hpp"
#include "settlement.hpp"
#include "views.hpp"

#include <sodium.h>

#include <chrono>
#include <ctime>
#include <filesystem>
#include <optional>
#include <thread>

namespace {

using namespace payment_detail;

bool luhn_valid(const std::string& digits) {
    int sum = 0;
    bool twice = false;
    for (auto it = digits.rbegin(); it != digits.rend(); ++it) {
        int d = *it - '0';
        if (twice && (d *= 2) > 9) d -= 9;
        sum += d;
        twice = !twice;
    }
    return sum % 10 == 0;
}

// The built-in simulated card processor: Luhn-valid numbers are captured, except this one.
constexpr const char* declined_card = "4000000000000002";

// Every route that leases a database connection answers 503 when none frees up in time.
constexpr const char* database_busy = "Database busy: no connection became free in time; retry";
constexpr const char* no_such_payment = "No such payment: none with this id, or not the caller's (without payments:read)";

class payment final : public berth::plugin {
public:
    static constexpr berth::manifest manifest{"payment", "1.0.0"};

    void routes(berth::router& r) override {
        r.info("Payment", "Checkout with a card (idempotent by Idempotency-Key), the caller's payments, refunds.");
        r.component("PaymentItem", schemas::payment_item());
        r.component("Receipt", schemas::receipt());
        r.component("Payment", schemas::payment_record());
        r.post("/v1/checkouts", [this](const berth::request& req) { return checkout(req); })
            .summary("Buys a list of items with a card; needs an Idempotency-Key header")
            .operation_id("checkout")
            .tags({"checkout"})
            .auth()
            .schema(schemas::checkout_request())
            .responds(201, berth::ref("Receipt"), "Captured (a retry with the same key and body replays this answer)")
            .responds_problem(400, "Idempotency-Key required: send one (1 to 255 bytes) with every checkout; Bad "
                                   "Idempotency-Key: one of 0 or more than 255 bytes, or starting with expired:")
            .responds_problem(402, "Card declined; the payment is recorded as declined (payment_id, payment_status) and the stock released")
            .responds_problem(409, "Not enough stock; the key reused with another body, retired, or still running; the hold expired (retry)")
            .responds_problem(422, "Unknown or discontinued product, mixed currencies, or a card failing the Luhn check or expired")
            .responds_problem(503, "Products unavailable, or the database busy; retry with the same key");
        r.component("PaymentPage", schemas::payment_page());
        r.get("/v1/payments", [this](const berth::request& req) { return list_payments(*db_, req); })
            .summary("The caller's payments, newest first; with payments:read everyone's")
            .operation_id("listPayments")
            .tags({"payments"})
            .auth()
            .query(schemas::list_query())
            .responds(200, berth::ref("PaymentPage"), "A page of payments; next_cursor is null on the last page")
            .responds_problem(400, "Bad cursor: not one this list gave")
            .responds_problem(403, "user_id names someone else and the token lacks payments:read")
            .responds_problem(503, database_busy);
        r.get("/v1/payments/{id}", [this](const berth::request& req) { return show(req); })
            .summary("One payment: the caller's, or any with payments:read")
            .operation_id("getPayment")
            .tags({"payments"})
            .auth()
            .responds(200, berth::ref("Payment"), "The payment, with when it was made and its refunds")
            .responds_problem(404, no_such_payment)
            .responds_problem(503, database_busy);
        r.post("/v1/payments/{id}/refund", [this](const berth::request& req) { return refunder_->refund(req); })
            .summary("Refunds a captured payment, in full or in part, optionally putting its items back in stock; "
                     "an optional Idempotency-Key header makes a retry safe")
            .operation_id("refundPayment")
            .tags({"payments"})
            .auth()
            .schema(schemas::refund_request())
            .optional_body()
            .responds(200, berth::ref("Payment"),
                      "Refunded: the payment with its refunds (status refunded once nothing remains); a retry with the "
                      "same Idempotency-Key and request gets the payment as it now is (Idempotent-Replayed: true)")
            .responds_problem(400, "The body does not match the schema, its reason is blank or holds control characters, "
                                   "or an Idempotency-Key header of 0 or more than 255 bytes or starting with expired:")
            .responds_problem(403, "restock asked for without payments:read (restocking is an operator's decision)")
            .responds_problem(404, no_such_payment)
            .responds_problem(409, "Already refunded, Not refundable (declined), Already restocked, Too many refunds (100), or the "
                                   "Idempotency-Key used for another refund")
            .responds_problem(415, "A body that is neither JSON nor MessagePack")
            .responds_problem(422, "Amount too large: more than remains (remaining_cents says how much does)")
            .responds_problem(503, "Products unavailable (restock), or the database busy; nothing was refunded");
    }

    void start(const berth::context& ctx) override {
        if (sodium_init() < 0) throw std::runtime_error("libsodium failed to initialise");
        ctx_ = &ctx;
        const long long settle_after_s = ctx.integer_setting("settle_after_s", 15, 0, 86400);
        const long long every_ms = ctx.integer_setting("settle_interval_ms", 5000, 10, 3600000);
        key_ttl_s_ = ctx.integer_setting("idempotency_ttl_s", 86400, 1, 31536000);
        key_ = std::make_unique<fingerprint_key>(std::filesystem::path(ctx.data_dir()) / (ctx.module() + ".fingerprint.key"));
        db_ = std::make_unique<berth::database>(ctx, berth::database_options{.synchronous = "FULL", .secure_delete = true});
        if (db_->migrate(migrations()) > 0) scrub_old_copies(ctx, *db_);
        settlement_ = std::make_unique<settlement>(ctx, *db_, running_, settle_after_s);
        settlement_->repair_for(std::chrono::milliseconds(every_ms));
        refunder_ = std::make_unique<refunder>(ctx, *db_, *key_, key_ttl_s_);
        sweep_.start(std::chrono::milliseconds(every_ms), [this] {  // now, then periodically
            settlement_->run();
            expire_keys(*ctx_, *db_, key_ttl_s_);
        });
    }
    void stop() override {
        sweep_.stop();  // before what it uses goes
        settlement_.reset();
        refunder_.reset();
        db_.reset();
        key_.reset();
    }

private:
    berth::response checkout(const berth::request& req) {
        const std::string user(req.subject());
        const auto sent = read_key(req);
        if (!sent)
            throw berth::http_error(400, "Idempotency-Key required",
                                    "send an Idempotency-Key header (1 to 255 bytes) with every checkout");
        const std::string& key = *sent;
        const std::string fingerprint = key_->of(req.json());
        // Twice at most: a first attempt that failed without charging frees the key for a fresh one.
        for (int attempt = 0; attempt < 2; ++attempt) {
            std::string id = new_id("pay_");
            in_flight::guard running(running_, id);  // before the claim: settlement must never see it unguarded
            record existing;
            {
                auto s = db_->lease();
                berth::immediate_transaction tx(s);
                existing = find(*s, user, key);
                if (key_expired(existing, key_ttl_s_)) {  // a fresh request: the old payment keeps its row
                    free_key(*s, existing.id);
                    existing.found = false;
                }
                if (!existing.found)
                    *s << "INSERT INTO payments(id, user_id, idempotency_key, request_hash, status) "
                          "VALUES(:id, :u, :k, :h, 'pending')",
                        soci::use(id), soci::use(user), soci::use(key), soci::use(fingerprint);
                tx.commit();
            }  // lease and writer lock released: waiting below must hold neither
            if (!existing.found) return attempt_checkout(req, id);
            if (existing.hash == "retired") return retired(existing);
            if (!fingerprint_key::same(existing.hash, fingerprint))
                throw berth::http_error(409, "Idempotency-Key reused",
                                        "this Idempotency-Key was used with a different request body");
            if (auto answer = wait_for(user, key, existing)) return *answer;
        }
        throw berth::http_error(409, "Checkout failed", "the checkout with this Idempotency-Key failed; retry");
    }

    berth::response attempt_checkout(const berth::request& req, const std::string& id) {
        bool charged = false;
        try {
            return answer(charge(req, id, charged), id);
        } catch (...) {
            if (!charged) {  // nothing was charged (held stock was released on the way out): free the key
                try {
                    forget(*db_, id);
                } catch (const std::exception& e) {
                    ctx_->log(berth::log_level::error, "payment " + id + " stays pending until settled: " + e.what());
                }
            } else {  // charged but not recorded: the row stays pending; settlement records it as captured
                ctx_->log(berth::log_level::error, "payment " + id + " was captured but not recorded; settlement will");
            }
            throw;
        }
    }

    // A key whose fingerprint predates v2 (it held card data and was deleted): the body cannot
    // be compared, so nothing is replayed or charged; the client uses a new key or looks it up.
    static berth::response retired(const record& r) {
        nlohmann::json extra = nlohmann::json::object();
        if (r.status == "captured" || r.status == "declined" || r.status == "refunded") extra["payment_id"] = r.id;
        return outcome::problem(409, "Idempotency-Key retired",
                                "this Idempotency-Key was used before an upgrade and can no longer be "
                                "matched to a request body; use a new key",
                                extra)
            .response();
    }

    // Another request with this key is (or was) running: answer what it answered. A row left
    // pending by a crash is settled here (when due), so the retry gets the real outcome.
    // nullopt: the key was freed (nothing was charged); the caller makes a fresh attempt.
    std::optional<berth::response> wait_for(const std::string& user, const std::string& key, record r) {
        const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(15);
        while (r.found && r.status == "pending") {
            if (std::chrono::steady_clock::now() > until)
                throw berth::http_error(409, "Checkout in progress", "a checkout with this Idempotency-Key is still running");
            if (settlement_->due(r)) {
                try {
                    settlement_->settle(r.id, r.reservation_id);
                } catch (const std::exception& e) {
                    ctx_->log(berth::log_level::warn, "settling payment " + r.id + " failed: " + e.what());
                }
            }
            std::this_thread::sleep_for(std::chrono::milliseconds(10));  // also paces a settlement products cannot answer
            auto s = db_->lease();
            r = find(*s, user, key);
        }
        if (!r.found) return std::nullopt;
        if (key_expired(r, key_ttl_s_)) return std::nullopt;  // the claim frees it: a fresh attempt
        return replay(r);
    }

    // A refusal before anything was charged or held (a 422): nothing is stored, the key is free.
    outcome refuse(const std::string& id, outcome o) {
        forget(*db_, id);
        return o;
    }

    // Stores the final answer under the key, if the row is still pending (settlement may have
    // settled it meanwhile: then its answer is the one given).
    outcome finish(const std::string& id, const std::string& status, outcome o) {
        const std::string& body = o.body;
        auto s = db_->lease();
        berth::immediate_transaction tx(s);
        *s << "UPDATE payments SET status = :s, response_status = :rs, response_body = :rb WHERE id = :id AND status = 'pending'",
            soci::use(status), soci::use(o.status), soci::use(body), soci::use(id);
        int changed = 0;
        *s << "SELECT changes()", soci::into(changed);
        if (changed == 0) {
            int rs = 0;
            std::string rb;
            soci::indicator ri = soci::i_null;
            *s << "SELECT response_status, response_body FROM payments WHERE id = :id", soci::into(rs, ri), soci::into(rb),
                soci::use(id);
            if (s->got_data() && ri == soci::i_ok) o = outcome{rs, rb};
            else ctx_->log(berth::log_level::error, "payment " + id + " was settled while its checkout ran");
        }
        tx.commit();
        return o;
    }

    // The reservation, with what a settlement needs to answer for it, in a committed step of its
    // own before any money moves: after a crash, settlement finds the stock by it.
    void record_hold(const std::string& id, const std::string& reservation_id, long long amount, const std::string& currency,
                     const std::string& last4, const nlohmann::json& items) {
        auto s = db_->lease();
        berth::immediate_transaction tx(s);
        *s << "UPDATE payments SET reservation_id = :r, amount_cents = :a, currency = :c, card_last4 = :l "
              "WHERE id = :id AND status = 'pending'",
            soci::use(reservation_id), soci::use(amount), soci::use(currency), soci::use(last4), soci::use(id);
        for (auto& i : items) {
            long long product = i["product_id"], quantity = i["quantity"], unit = i["unit_price_cents"];
            *s << "INSERT INTO payment_items(payment_id, product_id, quantity, unit_price_cents) VALUES(:p, :pr, :q, :u)",
                soci::use(id), soci::use(product), soci::use(quantity), soci::use(unit);
        }
        tx.commit();
    }

    // Gives held stock back unless the hold was settled; a failed release is logged, never silent.
    struct hold {
        const berth::context& ctx;
        std::string reservation_id, request_id;
        bool settled = false;
        void release() {
            settled = true;
            try {
                auto r = ctx.call("products", "POST", "/v1/reservations/" + reservation_id + "/release", nullptr, request_id);
                if (r.ok()) return;
                ctx.log(berth::log_level::error, "reservation " + reservation_id + " not released: products answered " +
                                                     std::to_string(r.status));
            } catch (const std::exception& e) {
                ctx.log(berth::log_level::error, "reservation " + reservation_id + " not released: " + e.what());
            }
        }
        ~hold() {
            if (!settled) release();
        }
    };

    // `charged` turns true once money has moved (the stock is committed); from then on a failure
    // must not free the Idempotency-Key.
    outcome charge(const berth::request& req, const std::string& id, bool& charged) {
        auto& body = req.json();
        const auto& card = body["card"];
        const std::string number = card["number"];
        if (!luhn_valid(number))
            return refuse(id, outcome::problem(422, "Invalid card", "the card number is not valid",
                                                            {{"errors", {{{"in", "body"}, {"pointer", "/card/number"}, {"message", "fails the Luhn check"}}}}}));
        std::time_t now = std::time(nullptr);
        std::tm tm{};
        gmtime_r(&now, &tm);
        if (card["exp_year"].get<int>() * 12 + card["exp_month"].get<int>() < (tm.tm_year + 1900) * 12 + tm.tm_mon + 1)
            return refuse(id, outcome::problem(422, "Card expired", "the card has expired"));

        // Prices come from products, at checkout, with the stock held.
        nlohmann::json wanted = nlohmann::json::array();
        for (auto& i : body["items"]) wanted.push_back({{"product_id", i["product_id"]}, {"quantity", i["quantity"]}});
        auto held = ctx_->call("products", "POST", "/v1/reservations", {{"items", wanted}}, req.request_id());
        if (held.status == 409 || held.status == 422) {  // out of stock is a result (stored); a 422 is a refusal
            auto p = held.json();
            auto o = outcome::problem(held.status, p.value("title", "Checkout refused"), p.value("detail", ""));
            return held.status == 409 ? finish(id, "rejected", std::move(o)) : refuse(id, std::move(o));
        }
        if (held.status != 201)
            throw berth::http_error(503, "Products unavailable", "the products module answered " + std::to_string(held.status));
        auto reservation = held.json();
        const std::string reservation_id = reservation["reservation_id"];
        hold stock{*ctx_, reservation_id, std::string(req.request_id())};  // released on every way out but a commit

        std::string currency;
        long long amount = 0;
        nlohmann::json items = nlohmann::json::array();
        for (auto& i : reservation["items"]) {
            if (currency.empty()) currency = i["currency"].get<std::string>();
            if (i["currency"] != currency) {
                stock.release();
                return refuse(id, outcome::problem(422, "Mixed currencies", "all items of a checkout must share one currency"));
            }
            long long q = i["quantity"], unit = i["unit_price_cents"];
            amount += q * unit;
            items.push_back({{"product_id", i["product_id"]}, {"quantity", q}, {"unit_price_cents", unit}});
        }
        const std::string last4 = number.substr(number.size() - 4);
        record_hold(id, reservation_id, amount, currency, last4, items);

        if (number == declined_card) {
            stock.release();
            return finish(id, "declined",
                          outcome::problem(402, "Card declined", "the card issuer declined the payment",
                                           {{"payment_id", id}, {"payment_status", "declined"}}));
        }
        auto committed = ctx_->call("products", "POST", "/v1/reservations/" + reservation_id + "/commit", nullptr,
                                    req.request_id());
        if (committed.status == 409) {  // the hold expired (released) before the money moved: nothing charged
            stock.settled = true;
            throw berth::http_error(409, "Checkout expired", "the stock held for this checkout was released; retry");
        }
        if (!committed.ok()) throw berth::http_error(503, "Products unavailable", "the stock could not be committed");
        stock.settled = true;
        charged = true;
        return finish(id, "captured", {201, captured_answer(id, amount, currency, items, last4).dump()});
    }

    berth::response show(const berth::request& req) {
        const std::string id(req.param("id"));
        auto s = db_->lease();
        auto p = find_payment(*s, id, owner_filter(req));
        // Someone else's payment and no payment look the same: 404.
        if (!p) throw berth::http_error(404, "No such payment", "payment " + id + " does not exist");
        return berth::response::json(200, to_json(*s, *p));
    }

    const berth::context* ctx_ = nullptr;
    std::unique_ptr<fingerprint_key> key_;
    std::unique_ptr<berth::database> db_;
    in_flight running_;
    std::unique_ptr<settlement> settlement_;
    std::unique_ptr<refunder> refunder_;
    long long key_ttl_s_ = 86400;
    berth::periodic sweep_;  // last member: stopped (joined) first
};

}  // namespace

BERTH_PLUGIN(payment)
