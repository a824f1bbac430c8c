// Polling for a condition the host reaches asynchronously (a swap, a drain, a request in flight).
#pragma once

#include <chrono>
#include <thread>

namespace berth::test {

// Polls `done` until it holds or `limit` passes; returns whether it held.
template <class F>
bool eventually(F done, std::chrono::milliseconds limit = std::chrono::seconds(10)) {
    const auto until = std::chrono::steady_clock::now() + limit;
    while (std::chrono::steady_clock::now() < until) {
        if (done()) return true;
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    return done();
}

}  // namespace berth::test
