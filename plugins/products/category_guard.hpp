// The products side of "no product names a deleted category". categories deletes a row and
// then asks products whether anything names it; products writes a product's category_id and
// then asks categories whether it exists. Each side's second look comes after its own commit,
// so for a delete D (then look Lc) and a write W (then look Lp): either W commits before Lc,
// and categories sees the product and puts the category back; or Lc comes before W, so D came
// before Lp too, and products sees the 404 and undoes W. Every interleaving ends with no orphan.
#pragma once

#include "model.hpp"

#include <optional>
#include <string>

namespace products_detail {

// After a write that made product `written` name its category has committed: returns when the
// category still exists. Otherwise `undo(session, product)` runs in a transaction of its own,
// only if `unchanged(now, written)` says the product still is as the write left it, and the
// answer is 422 (503 when categories cannot tell: the write is undone all the same, never kept
// on a guess; 409 when someone changed the product meanwhile and it was left as it is).
template <class Unchanged, class Undo>
void confirm_category(const store& st, const product& written, std::string_view request_id, Unchanged unchanged, Undo undo) {
    std::optional<berth::http_error> unknown;
    try {
        if (category_exists(*st.ctx, written.category_id, request_id)) return;
    } catch (const berth::http_error& e) {
        unknown = e;
    } catch (const std::exception&) {  // the call itself failed: as unsure as a 503
        unknown = berth::http_error(503, "Categories unavailable", "could not ask categories whether the category exists");
    }
    bool undone = false;
    {
        auto s = st.db->lease();
        berth::immediate_transaction tx(s);
        product now;
        if (load(*s, written.id, now) && unchanged(now, written)) {
            undo(*s, now);
            tx.commit();
            undone = true;
        }
    }
    if (!undone)
        throw berth::http_error(409, "Changed meanwhile",
                                "category " + std::to_string(written.category_id) +
                                    " was deleted as this write was made, and product " + std::to_string(written.id) +
                                    " has changed since; it was left as it is");
    if (unknown) throw *unknown;
    throw berth::http_error(422, "No such category", "category " + std::to_string(written.category_id) + " does not exist");
}

}  // namespace products_detail
