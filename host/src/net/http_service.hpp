// What a listener serves: something that turns a request into a response, asynchronously.
#pragma once

#include "http/message.hpp"

#include <functional>
#include <optional>

namespace berth::host::net {

class http_service {
public:
    using completion = std::function<void(http::response)>;
    virtual ~http_service() = default;

    // I/O thread, after the header of a request that sent `Expect: 100-continue` and before its
    // body: an answer here refuses it straight away (no body is read); nullopt lets the client
    // send the body. Must not block.
    virtual std::optional<http::response> check_head(const http::request&) { return std::nullopt; }

    // Called on an I/O thread; must not block. Calls `done` exactly once, from any thread.
    virtual void handle(http::request request, completion done) = 0;
};

}  // namespace berth::host::net
