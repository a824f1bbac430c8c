// One-time codes that open the dashboard without typing the admin token: POST /dashboard/links
// (with the token) makes one, the page trades it for the token at POST /dashboard/session.
// A code is 256 random bits, lives 60 s, works once, and only a few may be outstanding, so an
// open exchange endpoint cannot be used to guess one or to pile up state.
#pragma once

#include <chrono>
#include <cstddef>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace berth::host::admin {

class dashboard_links {
public:
    using clock = std::chrono::steady_clock;
    static constexpr std::chrono::seconds lifetime{60};
    static constexpr std::size_t max_outstanding = 4;
    static constexpr std::size_t code_length = 64;  // hex digits

    // `now` is the clock's now(); tests pass their own to move time without sleeping.
    explicit dashboard_links(std::function<clock::time_point()> now = &clock::now);

    // A fresh code (hex); nullopt while max_outstanding unused, unexpired codes exist.
    std::optional<std::string> issue();
    // True once for a code issued within `lifetime`; false for anything else (the code is
    // spent by the first call that presents it, whatever that call's outcome later).
    bool redeem(std::string_view code);

private:
    struct entry {
        std::string digest;  // sha256 of the code: the codes themselves are not kept
        clock::time_point expires;
    };
    void drop_expired(clock::time_point now);

    std::function<clock::time_point()> now_;
    std::mutex mutex_;  // guards entries_
    std::vector<entry> entries_;
};

}  // namespace berth::host::admin
