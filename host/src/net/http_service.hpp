// What a listener serves: something that turns a request into a response, asynchronously.
#pragma once

#include "http/message.hpp"

#include <functional>

namespace berth::host::net {

class http_service {
public:
    using completion = std::function<void(http::response)>;
    virtual ~http_service() = default;

    // Called on an I/O thread; must not block. Calls `done` exactly once, from any thread.
    virtual void handle(http::request request, completion done) = 0;
};

}  // namespace berth::host::net
