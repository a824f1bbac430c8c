// The products module's data: its migrations, a product row and its ETag, and what every part
// of the module shares (the database, the context, the texts of common refusals).
#pragma once

#include <berth/plugin.hpp>
#include <berth/storage.hpp>

#include "text.hpp"

#include <sodium.h>

#include <memory>
#include <string>
#include <vector>

namespace products_detail {

// Append only: each migration must succeed on any data an earlier version could have written.
inline std::vector<berth::migration> migrations() {
    return {
        {1,
         "create products and reservations",
         {"CREATE TABLE products ("
          " id INTEGER PRIMARY KEY,"
          " sku TEXT NOT NULL UNIQUE,"
          " name TEXT NOT NULL,"
          " price_cents INTEGER NOT NULL CHECK (price_cents >= 0),"
          " currency TEXT NOT NULL,"
          " category_id INTEGER NOT NULL,"
          " stock INTEGER NOT NULL DEFAULT 0 CHECK (stock >= 0),"
          " status TEXT NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'discontinued')),"
          " created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')))",
          "CREATE INDEX products_category ON products(category_id)",
          "CREATE TABLE reservations ("
          " id TEXT PRIMARY KEY,"
          " state TEXT NOT NULL CHECK (state IN ('held', 'committed', 'released')),"
          " created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')))",
          "CREATE TABLE reservation_items ("
          " reservation_id TEXT NOT NULL REFERENCES reservations(id),"
          " product_id INTEGER NOT NULL REFERENCES products(id),"
          " quantity INTEGER NOT NULL CHECK (quantity > 0),"
          " unit_price_cents INTEGER NOT NULL,"
          " currency TEXT NOT NULL,"
          " PRIMARY KEY (reservation_id, product_id))"}},
        {2, "index held reservations by age", {"CREATE INDEX reservations_state_age ON reservations(state, created_at)"}},
        {3,
         "browse by price and name, find SKUs in any case, record stock adjustments and returns",
         {// Not UNIQUE: SKUs differing only in case may exist already; new ones are refused by a check.
          "CREATE INDEX products_sku_nocase ON products(sku COLLATE NOCASE)",
          "CREATE INDEX products_price ON products(price_cents, id)",
          "CREATE INDEX products_name ON products(name COLLATE NOCASE, id)",
          "CREATE INDEX reservations_age ON reservations(created_at, id)",
          "CREATE TABLE stock_adjustments ("
          " id INTEGER PRIMARY KEY,"
          " product_id INTEGER NOT NULL REFERENCES products(id),"
          " delta INTEGER NOT NULL,"
          " reason TEXT NOT NULL,"
          " subject TEXT NOT NULL,"
          " created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')))",
          "CREATE INDEX stock_adjustments_product ON stock_adjustments(product_id, id)",
          "CREATE TABLE stock_returns ("
          " reference TEXT PRIMARY KEY,"
          " answer TEXT NOT NULL,"
          " created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')))"}},
    };
}

// Every route that leases a database connection answers 503 when none frees up in time.
inline constexpr const char* database_busy = "Database busy: no connection became free in time; retry";
inline constexpr const char* no_such_product = "No such product (also for an id that is not a positive integer)";
inline constexpr const char* no_such_reservation = "No such reservation";
inline constexpr const char* stale_tag = "Precondition failed: If-Match names an older version of the product";

// What the parts of the module share; the plugin owns it, start() fills it.
struct store {
    const berth::context* ctx = nullptr;
    std::unique_ptr<berth::database> db;
    long long ttl_s = 60;
};

inline std::string random_id() {
    unsigned char raw[12];
    randombytes_buf(raw, sizeof raw);
    char hex[25];
    sodium_bin2hex(hex, sizeof hex, raw, sizeof raw);
    return hex;
}

// A name or reason from a body: trimmed of Unicode whitespace too; 400 naming the member when
// blank or holding control characters (text.hpp: the shop's one rule for a person's text).
inline std::string required_text(const nlohmann::json& body, const char* field) {
    return berth::shop::text::clean(body.at(field).get<std::string>(), std::string("/") + field);
}

struct product {
    long long id = 0;
    std::string sku, name, currency, status;
    long long price_cents = 0, category_id = 0, stock = 0;

    nlohmann::json json() const {
        return {{"id", id},           {"sku", sku},     {"name", name},   {"price_cents", price_cents},
                {"currency", currency}, {"category_id", category_id}, {"stock", stock}, {"status", status}};
    }
    // The ETag: a hash of the representation, so it changes whenever anything a client sees does.
    std::string tag() const {
        const std::string text = json().dump();
        unsigned char hash[16];
        crypto_generichash(hash, sizeof hash, reinterpret_cast<const unsigned char*>(text.data()), text.size(), nullptr, 0);
        char hex[33];
        sodium_bin2hex(hex, sizeof hex, hash, sizeof hash);
        return hex;
    }
    // 200 (or `status`) with the product and its ETag.
    berth::response answer(int status = 200) const {
        auto r = status == 201 ? berth::response::created("/v1/products/" + std::to_string(id), json())
                               : berth::response::json(status, json());
        r.etag(tag());
        return r;
    }
};

inline constexpr const char* product_columns = "id, sku, name, price_cents, currency, category_id, stock, status";

inline bool load(soci::session& s, long long id, product& p) {
    s << std::string("SELECT ") + product_columns + " FROM products WHERE id = :id", soci::into(p.id), soci::into(p.sku),
        soci::into(p.name), soci::into(p.price_cents), soci::into(p.currency), soci::into(p.category_id),
        soci::into(p.stock), soci::into(p.status), soci::use(id);
    return s.got_data();
}

inline product must_load(soci::session& s, long long id) {
    product p;
    if (!load(s, id, p)) throw berth::http_error(404, "No such product", "product " + std::to_string(id) + " does not exist");
    return p;
}

// A write to one product in one BEGIN IMMEDIATE transaction: If-Match checked against the
// product as it is inside it (412), then `change`, then the product as it now is, with its ETag.
template <class Change>
berth::response edit(const store& st, const berth::request& req, Change change) {
    const long long id = req.id_param("id", "product");
    auto s = st.db->lease();
    berth::immediate_transaction tx(s);
    product p = must_load(*s, id);
    berth::require_if_match(req, p.tag());
    change(*s, p);
    p = must_load(*s, id);
    tx.commit();
    return p.answer();
}

// Records a change of stock for the adjustments list (inside the caller's transaction).
inline void record_adjustment(soci::session& s, long long product_id, long long delta, const std::string& reason,
                              const std::string& subject) {
    s << "INSERT INTO stock_adjustments(product_id, delta, reason, subject) VALUES(:p, :d, :r, :s)", soci::use(product_id),
        soci::use(delta), soci::use(reason), soci::use(subject);
}

// Asks categories (the owner; never its table) whether a category exists: true or false, or
// 503 when it cannot tell.
// Whether categories answered that the category does not exist. Any other 404 (a route an older
// categories lacks, a module not there) says nothing about the category: callers answer 503.
inline bool says_no_such_category(const berth::call_result& answer) {
    if (answer.status != 404) return false;
    const auto body = answer.json();
    if (!body.is_object()) return false;
    const auto title = body.find("title");
    return title != body.end() && *title == "No such category";
}

inline bool category_exists(const berth::context& ctx, long long id, std::string_view request_id) {
    auto answer = ctx.call("categories", "GET", "/v1/categories/" + std::to_string(id), nullptr, request_id);
    if (says_no_such_category(answer)) return false;
    if (!answer.ok())
        throw berth::http_error(503, "Categories unavailable", "the categories module answered " + std::to_string(answer.status));
    return true;
}

}  // namespace products_detail
