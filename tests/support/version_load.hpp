// Clients that keep requesting a target answering {"version": ...} on keep-alive connections
// while a test swaps or retires under them: every answer but a 200 is a failure, and each client
// keeps the sequence of versions it saw (a version repeated in a row is kept once).
#pragma once

#include "support/http_client.hpp"

#include <atomic>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

namespace berth::test {

class version_load {
public:
    version_load(std::uint16_t port, std::string target, int clients) {
        for (int i = 0; i < clients; ++i)
            threads_.emplace_back([this, port, target] {
                std::vector<std::string> seen;
                int failures = 0;
                std::unique_ptr<http_connection> c;
                while (!stop_) {
                    try {
                        if (!c) c = std::make_unique<http_connection>(port);
                        auto r = c->request("GET", target);
                        if (r.status != 200) {
                            ++failures;
                        } else {
                            auto v = r.json()["version"].get<std::string>();
                            if (seen.empty() || seen.back() != v) seen.push_back(v);
                        }
                        ++requests_;
                        if (!r.keep_alive) c.reset();
                    } catch (const std::exception&) {
                        ++failures;
                        c.reset();
                    }
                }
                std::lock_guard lock(mutex_);
                failures_ += failures;
                sequences_.push_back(std::move(seen));
            });
    }
    ~version_load() { finish(); }
    version_load(const version_load&) = delete;
    version_load& operator=(const version_load&) = delete;

    void finish() {
        stop_ = true;
        for (auto& t : threads_)
            if (t.joinable()) t.join();
    }
    long requests() const { return requests_; }
    // After finish().
    int failures() const { return failures_; }
    const std::vector<std::vector<std::string>>& sequences() const { return sequences_; }
    std::set<std::string> versions() const {
        std::set<std::string> all;
        for (auto& s : sequences_) all.insert(s.begin(), s.end());
        return all;
    }

private:
    std::atomic<bool> stop_{false};
    std::atomic<long> requests_{0};
    std::mutex mutex_;
    int failures_ = 0;
    std::vector<std::vector<std::string>> sequences_;
    std::vector<std::thread> threads_;
};

}  // namespace berth::test
