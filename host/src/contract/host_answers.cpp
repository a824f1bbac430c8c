#include "contract/host_answers.hpp"

namespace berth::host::contract {

std::vector<host_answer> host_answers(bool schema_body, bool raw_body, bool auth) {
    // Every route may get a 400: one without a body refuses a body.
    std::vector<host_answer> out = {
        {400, "The request does not match its contract (its schemas, or a body where the operation takes none)"}};
    if (auth) {
        out.push_back({401, "No valid bearer token"});
        out.push_back({403, "The token lacks a required scope"});
    }
    out.push_back({404, "Not found, or a major version this module does not serve"});
    out.push_back({406, "None of the media types in Accept can be produced"});
    if (schema_body) out.push_back({415, "The body is neither application/json nor application/msgpack"});
    else if (raw_body) out.push_back({415, "The body is not of the media type the operation takes"});
    out.push_back({500, "The module failed while handling the request"});
    out.push_back({503, "The module is at capacity or not available; see Retry-After"});
    return out;
}

}  // namespace berth::host::contract
