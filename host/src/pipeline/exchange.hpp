// One request on its way through the pipeline's stages. Each stage reads what the earlier
// ones established, adds its own, and either passes on or answers with a problem.
#pragma once

#include "abi/host_services.hpp"
#include "http/media.hpp"
#include "http/message.hpp"
#include "http/route_table.hpp"
#include "http/target.hpp"

#include <nlohmann/json.hpp>

#include <optional>
#include <string>
#include <string_view>

namespace berth::host::pipeline {

struct route_contract;

// A stage's answer: a refusal (a problem response), or nullopt to pass on.
using verdict = std::optional<http::response>;

struct exchange {
    exchange(const http::request& r, const abi::request_context& c, std::string_view m)
        : request(r), context(c), module(m) {}

    const http::request& request;
    const abi::request_context& context;
    std::string_view module;  // the module serving it, for the log

    http::parsed_target target;             // target stage
    http::route_table::match match;         // route stage
    const route_contract* route = nullptr;  // route stage
    std::string subject, scope;             // bearer stage: the verified token's, if the route needs one
    http::body_format answer_in = http::body_format::json;  // media stage: what Accept prefers
    // Body stage: a MessagePack body as JSON text, which is what the handler is given.
    std::optional<std::string> converted_body;
    bool from_handler = false;  // handler stage: the answer is the handler's, not the host's
    // Query and body stages: what breaks the contract. Null until the first (an empty array
    // would cost an allocation on every request); push_back makes it an array.
    nlohmann::json violations;
};

}  // namespace berth::host::pipeline
