// The problems the host itself may answer on a route, whatever the route declared: one list for
// the OpenAPI document (which publishes them) and the response check (which lets a handler
// answer them too, as problems, without declaring them).
#pragma once

#include <vector>

namespace berth::host::contract {

struct host_answer {
    int status;
    const char* description;
};

// `schema_body`: the route checks a JSON body; `raw_body`: it takes one of its own media type;
// `auth`: it needs a bearer token.
std::vector<host_answer> host_answers(bool schema_body, bool raw_body, bool auth);

}  // namespace berth::host::contract
