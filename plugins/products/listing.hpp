// GET /v1/products: filters (category with or without its subtree, status, text) and four
// orders (by id, newest, price, name), a page at a time with keyset cursors that stay stable
// while rows are added (a cursor names the last row's sort key and id, never an offset).
#pragma once

#include "page_cursor.hpp"
#include "model.hpp"

#include <deque>
#include <functional>
#include <string>

namespace products_detail {

namespace cursor = berth::shop::page_cursor;

// Parameters bound in order; deques so the references SOCI keeps stay valid.
struct bindings {
    std::deque<long long> numbers;
    std::deque<std::string> texts;
    std::string sql;
    std::vector<std::function<void(soci::statement&)>> uses;
    int next = 0;

    std::string number(long long v) {
        numbers.push_back(v);
        auto* ref = &numbers.back();
        uses.push_back([ref](soci::statement& st) { st.exchange(soci::use(*ref)); });
        return ":p" + std::to_string(++next);
    }
    std::string text(std::string v) {
        texts.push_back(std::move(v));
        auto* ref = &texts.back();
        uses.push_back([ref](soci::statement& st) { st.exchange(soci::use(*ref)); });
        return ":p" + std::to_string(++next);
    }
};

// The ids to match for `category_id`: the category and everything under it (asked of
// categories), or the category alone. 404 for an unknown category, 503 when categories cannot say.
inline nlohmann::json category_ids(const store& st, const berth::request& req, long long category, bool subtree) {
    if (!subtree) {
        // categories asks this itself about a category it holds (before deleting it): no call back.
        if (req.caller() != "categories" && !category_exists(*st.ctx, category, req.request_id()))
            throw berth::http_error(404, "No such category", "category " + std::to_string(category) + " does not exist");
        return nlohmann::json::array({category});
    }
    auto answer = st.ctx->call("categories", "GET", "/v1/categories/" + std::to_string(category) + "/subtree", nullptr,
                               req.request_id());
    if (says_no_such_category(answer))
        throw berth::http_error(404, "No such category", "category " + std::to_string(category) + " does not exist");
    auto body = answer.json();
    if (!answer.ok() || !body.is_object() || !body.contains("ids") || !body["ids"].is_array())
        throw berth::http_error(503, "Categories unavailable", "the categories module answered " + std::to_string(answer.status));
    nlohmann::json ids = nlohmann::json::array();
    for (auto& id : body["ids"])
        if (id.is_number_integer()) ids.push_back(id.get<long long>());
    return ids;
}

inline berth::response list_products(const store& st, const berth::request& req) {
    auto text = [&](const char* name) { return std::string(req.query(name).value_or("")); };
    const long long limit = req.query("limit") ? std::stoll(text("limit")) : 20;
    const std::string sort = text("sort");  // empty: by id, as before sorts existed
    const std::string status = req.query("status") ? text("status") : "active";
    const std::string after = text("cursor");

    bindings b;
    std::string where = "1 = 1";
    if (req.query("category_id")) {
        const bool subtree = text("subcategories") != "false" && text("subcategories") != "0";
        where += " AND category_id IN (SELECT value FROM json_each(" +
                 b.text(category_ids(st, req, std::stoll(text("category_id")), subtree).dump()) + "))";
    }
    if (status != "all") where += " AND status = " + b.text(status);
    if (const std::string q = text("q"); !q.empty()) {
        std::string pattern;
        for (char c : q) {  // LIKE, with the user's wildcards taken literally
            if (c == '%' || c == '_' || c == '\\') pattern += '\\';
            pattern += c;
        }
        pattern = "%" + pattern + "%";
        const auto in_name = b.text(pattern);
        const auto in_sku = b.text(pattern);
        where += " AND (name LIKE " + in_name + " ESCAPE '\\' OR sku LIKE " + in_sku + " ESCAPE '\\')";
    }
    std::string order;
    if (sort.empty()) {
        order = "id";
        if (!after.empty()) {
            if (after.size() > 18 || after.find_first_not_of("0123456789") != std::string::npos)
                cursor::bad("the cursor belongs to another sort order or listing; start again without it");
            where += " AND id > " + b.number(std::stoll(after));
        }
    } else if (sort == "newest") {
        order = "id DESC";
        if (!after.empty()) where += " AND id < " + b.number(cursor::id_at(cursor::decode(after, sort, 2), 1));
    } else if (sort == "price") {
        order = "price_cents, id";
        if (!after.empty()) {
            auto c = cursor::decode(after, sort, 3);
            if (!c[1].is_number_integer()) cursor::bad();
            const long long price = c[1].get<long long>();
            // One statement each: the operands of + are evaluated in no fixed order, the bindings must be.
            const auto above = b.number(price);
            const auto same = b.number(price);
            const auto after_id = b.number(cursor::id_at(c, 2));
            where += " AND (price_cents > " + above + " OR (price_cents = " + same + " AND id > " + after_id + "))";
        }
    } else {  // name: case-insensitive, as a reader expects
        order = "name COLLATE NOCASE, id";
        if (!after.empty()) {
            auto c = cursor::decode(after, sort, 3);
            if (!c[1].is_string()) cursor::bad();
            const std::string name = c[1].get<std::string>();
            const auto above = b.text(name);
            const auto same = b.text(name);
            const auto after_id = b.number(cursor::id_at(c, 2));
            where += " AND (name COLLATE NOCASE > " + above + " OR (name COLLATE NOCASE = " + same + " AND id > " + after_id + "))";
        }
    }
    const std::string sql = std::string("SELECT ") + product_columns + " FROM products WHERE " + where + " ORDER BY " +
                            order + " LIMIT " + b.number(limit + 1);

    nlohmann::json items = nlohmann::json::array();
    auto s = st.db->lease();
    product p;
    soci::statement stmt(*s);
    stmt.exchange(soci::into(p.id));
    stmt.exchange(soci::into(p.sku));
    stmt.exchange(soci::into(p.name));
    stmt.exchange(soci::into(p.price_cents));
    stmt.exchange(soci::into(p.currency));
    stmt.exchange(soci::into(p.category_id));
    stmt.exchange(soci::into(p.stock));
    stmt.exchange(soci::into(p.status));
    for (auto& use : b.uses) use(stmt);
    stmt.alloc();
    stmt.prepare(sql);
    stmt.define_and_bind();
    stmt.execute(false);
    product last;
    bool more = false;
    while (stmt.fetch()) {
        if (static_cast<long long>(items.size()) == limit) {
            more = true;
            break;
        }
        items.push_back(p.json());
        last = p;
    }
    nlohmann::json next = nullptr;
    if (more) {
        if (sort.empty()) next = std::to_string(last.id);
        else if (sort == "newest") next = cursor::encode(nlohmann::json::array({sort, last.id}));
        else if (sort == "price") next = cursor::encode(nlohmann::json::array({sort, last.price_cents, last.id}));
        else next = cursor::encode(nlohmann::json::array({sort, last.name, last.id}));
    }
    return berth::response::json(200, {{"items", items}, {"next_cursor", next}});
}

}  // namespace products_detail
