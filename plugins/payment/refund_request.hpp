// The refund's body, optional (none: the whole remaining amount, no restock). The host checks a
// sent body against schemas::refund_request() (400 with every violation's pointer); this reads
// it and applies what a schema cannot say: the reason trimmed of Unicode whitespace, refused
// blank or holding control characters (text.hpp).
#pragma once

#include "text.hpp"

#include <berth/plugin.hpp>

#include <optional>
#include <string>

namespace payment_detail {

struct refund_request {
    std::optional<long long> amount;  // cents; none: all that remains
    bool restock = false;
    std::optional<std::string> reason;  // trimmed, not blank, no control characters
};

inline refund_request parse_refund(const berth::request& req) {
    refund_request out;
    if (req.body().empty()) return out;  // route::optional_body: the host let it through unchecked
    const nlohmann::json& body = req.json();  // checked against the schema by the host
    if (auto a = body.find("amount_cents"); a != body.end()) out.amount = a->get<long long>();
    out.restock = body.value("restock", false);
    if (auto r = body.find("reason"); r != body.end()) out.reason = berth::shop::text::clean(r->get<std::string>(), "/reason");
    return out;
}

}  // namespace payment_detail
