#include "http/problem.hpp"

#include <nlohmann/json.hpp>

namespace berth::host::http {

response problem(int status, std::string_view detail) { return problem(status, detail, nullptr); }

response problem(int status, std::string_view detail, const nlohmann::json& extra) {
    nlohmann::json body = {{"type", "about:blank"}, {"title", reason(status)}, {"status", status}};
    if (!detail.empty()) body["detail"] = detail;
    if (extra.is_object())
        for (auto& [k, v] : extra.items()) body[k] = v;
    response r;
    r.status = status;
    r.headers.emplace_back("Content-Type", "application/problem+json");
    r.body = json_text(body);
    return r;
}

std::string json_text(const nlohmann::json& value) {
    return value.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

response json_response(int status, const nlohmann::json& body) {
    response r;
    r.status = status;
    r.headers.emplace_back("Content-Type", "application/json");
    r.body = json_text(body);
    return r;
}

}  // namespace berth::host::http
