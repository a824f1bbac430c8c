// The metrics registry behind GET /metrics: counters, gauges and histograms, written out in the
// Prometheus text format 0.0.4. Debian 12 packages no C++ Prometheus client, so this is our
// own, and small: a family's children are bounded (past the bound, one child labelled
// "_overflow" takes the rest), values are atomics, and gauges that describe state (in-flight,
// draining, RSS) are read by collectors at scrape time rather than kept up to date.
#pragma once

#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace berth::host::ops {

using label_list = std::vector<std::pair<std::string_view, std::string>>;

// Request latency buckets, in seconds: sub-millisecond host answers to slow handlers.
inline constexpr std::array<double, 14> latency_buckets{0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05,
                                                        0.1,    0.25,  0.5,    1,     2.5,   5,    10};

// Fixed buckets (latency_buckets), lock-free: one bucket increment, the sum and the count.
class histogram {
public:
    void observe(std::chrono::nanoseconds d);
    struct totals {
        std::array<std::uint64_t, latency_buckets.size()> buckets{};  // not cumulative
        std::uint64_t above = 0;  // past the last bound
        std::uint64_t count = 0;
        double sum_s = 0;
        totals& operator+=(const totals& o);
    };
    totals read() const;

private:
    std::array<std::atomic<std::uint64_t>, latency_buckets.size() + 1> buckets_{};
    std::atomic<std::uint64_t> count_{0};
    std::atomic<std::uint64_t> sum_ns_{0};
};

// One scrape's text. Families may be declared in any order and samples added in any order:
// text() sorts families by name and samples by labels, as promtool and people like them.
class exposition {
public:
    enum class kind { counter, gauge, histogram };
    // Declares a family once (a second declaration of the same name is ignored).
    void family(std::string name, kind k, std::string help);
    // A counter or gauge sample of a declared family.
    void sample(std::string_view family, const label_list& labels, double value);
    // A histogram's _bucket (cumulative, with +Inf), _sum and _count.
    void sample(std::string_view family, const label_list& labels, const histogram::totals& h);
    std::string text() const;

    static std::string escape_label(std::string_view v);  // \\, \" and \n
    static std::string escape_help(std::string_view v);   // \\ and \n

private:
    struct declared {
        kind k = kind::counter;
        std::string help;
        std::map<std::string, std::string> lines;  // rendered labels -> the sample line(s)
    };
    std::map<std::string, declared, std::less<>> families_;
};

// A counter family with labels, for figures that change rarely (swaps, refusals): one mutex,
// at most `max_children` label sets.
class labelled_counter {
public:
    labelled_counter(std::string name, std::string help, std::vector<std::string> label_names,
                     std::size_t max_children = 1000);
    void add(const std::vector<std::string>& values, std::uint64_t n = 1);
    void collect(exposition& out) const;

private:
    std::string name_, help_;
    std::vector<std::string> label_names_;
    std::size_t max_children_;
    mutable std::mutex mutex_;
    std::map<std::vector<std::string>, std::uint64_t> values_;
};

// What GET /metrics renders: every collector, in one exposition.
class metrics {
public:
    using collector = std::function<void(exposition&)>;
    // Before the host serves only: collectors are read without a lock afterwards.
    void add_collector(collector c) { collectors_.push_back(std::move(c)); }
    // Any thread. `extra` adds what only the caller knows (the admin API's module list).
    std::string render(const collector& extra = {}) const;

private:
    std::vector<collector> collectors_;
};

inline constexpr std::string_view exposition_content_type = "text/plain; version=0.0.4; charset=utf-8";

}  // namespace berth::host::ops
