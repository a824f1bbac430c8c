// categories: reading the categories table (one row, a sibling's name, a subtree).
#pragma once

#include <berth/plugin.hpp>
#include <berth/storage.hpp>

#include <string>
#include <vector>

namespace categories_store {

struct row {
    long long id = 0;
    std::string name;
    long long parent_id = 0;
    soci::indicator parent_ind = soci::i_null;

    bool at_top() const { return parent_ind != soci::i_ok; }
    nlohmann::json json() const {
        return {{"id", id}, {"name", name}, {"parent_id", at_top() ? nlohmann::json(nullptr) : nlohmann::json(parent_id)}};
    }
};

inline bool load(soci::session& s, long long id, row& r) {
    s << "SELECT id, name, parent_id FROM categories WHERE id = :id", soci::into(r.id), soci::into(r.name),
        soci::into(r.parent_id, r.parent_ind), soci::use(id);
    return s.got_data();
}

inline row must_load(soci::session& s, long long id) {
    row r;
    if (!load(s, id, r)) throw berth::http_error(404, "No such category", "category " + std::to_string(id) + " does not exist");
    return r;
}

// Whether a category other than `except` under `parent` (0: the top) has this name, in any case.
inline bool sibling_named(soci::session& s, const std::string& name, long long parent, long long except) {
    int n = 0;
    s << "SELECT COUNT(*) FROM categories WHERE IFNULL(parent_id, 0) = :p AND name = :n COLLATE NOCASE AND id != :x",
        soci::into(n), soci::use(parent), soci::use(name), soci::use(except);
    return n > 0;
}

inline bool has_children(soci::session& s, long long id) {
    int n = 0;
    s << "SELECT COUNT(*) FROM categories WHERE parent_id = :id", soci::into(n), soci::use(id);
    return n > 0;
}

// `id` and every category under it, ascending. UNION (not UNION ALL) ends even on a cycle.
inline std::vector<long long> subtree(soci::session& s, long long id) {
    std::vector<long long> ids;
    long long one = 0;
    soci::statement st = (s.prepare << "WITH RECURSIVE sub(id) AS (SELECT :id UNION "
                                       "SELECT c.id FROM categories c JOIN sub ON c.parent_id = sub.id) "
                                       "SELECT id FROM sub ORDER BY id",
                          soci::into(one), soci::use(id));
    st.execute();
    while (st.fetch()) ids.push_back(one);
    return ids;
}

// How deep the tree may go: GET /v1/categories renders it recursively (in this plugin and in
// every JSON parser a client uses), so its depth is bounded where it is built.
inline constexpr int max_depth = 32;

// Levels from the top down to `id` (a top-level category: 1).
inline int depth(soci::session& s, long long id) {
    int levels = 0;
    s << "WITH RECURSIVE up(id, lvl) AS (SELECT :id, 1 UNION "
         "SELECT c.parent_id, up.lvl + 1 FROM categories c JOIN up ON c.id = up.id "
         "WHERE c.parent_id IS NOT NULL AND up.lvl <= :cap) SELECT MAX(lvl) FROM up",
        soci::into(levels), soci::use(id), soci::use(max_depth);
    return levels;
}

// Levels in the subtree under and including `id` (a leaf: 1).
inline int height(soci::session& s, long long id) {
    int levels = 0;
    s << "WITH RECURSIVE sub(id, lvl) AS (SELECT :id, 1 UNION "
         "SELECT c.id, sub.lvl + 1 FROM categories c JOIN sub ON c.parent_id = sub.id WHERE sub.lvl <= :cap) "
         "SELECT MAX(lvl) FROM sub",
        soci::into(levels), soci::use(id), soci::use(max_depth);
    return levels;
}

inline void refuse_too_deep(int levels) {
    if (levels > max_depth)
        throw berth::http_error(422, "Too deep", "categories nest at most " + std::to_string(max_depth) + " levels deep");
}

}  // namespace categories_store
