#include "ops/metrics.hpp"

#include <spdlog/fmt/fmt.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <cmath>

namespace berth::host::ops {

namespace {

// Nanosecond bounds of latency_buckets, so that observe() compares integers.
constexpr auto bucket_ns = [] {
    std::array<std::uint64_t, latency_buckets.size()> out{};
    for (std::size_t i = 0; i < out.size(); ++i) out[i] = static_cast<std::uint64_t>(latency_buckets[i] * 1e9 + 0.5);
    return out;
}();

// Prometheus numbers: integers as integers, the rest shortest round-trip, +Inf/-Inf/NaN spelled.
std::string number(double v) {
    if (std::isnan(v)) return "NaN";
    if (std::isinf(v)) return v > 0 ? "+Inf" : "-Inf";
    if (v == std::floor(v) && std::fabs(v) < 1e15) return fmt::format("{}", static_cast<long long>(v));
    return fmt::format("{}", v);
}

std::string render_labels(const label_list& labels, std::string_view extra_name = {}, std::string_view extra = {}) {
    std::string out;
    for (auto& [k, v] : labels) {
        out += out.empty() ? "{" : ",";
        out.append(k).append("=\"").append(exposition::escape_label(v)).append("\"");
    }
    if (!extra_name.empty()) {
        out += out.empty() ? "{" : ",";
        out.append(extra_name).append("=\"").append(extra).append("\"");
    }
    if (!out.empty()) out += "}";
    return out;
}

const char* type_name(exposition::kind k) {
    switch (k) {
        case exposition::kind::counter: return "counter";
        case exposition::kind::gauge: return "gauge";
        case exposition::kind::histogram: return "histogram";
    }
    return "untyped";
}

}  // namespace

void histogram::observe(std::chrono::nanoseconds d) {
    // A plugin reports some of these (lease waits): clamped, so that no report, however large,
    // can wrap the sum and make a counter Prometheus reads as monotonic go backwards.
    constexpr std::int64_t most = std::chrono::nanoseconds(std::chrono::hours(1)).count();
    const auto ns = static_cast<std::uint64_t>(std::clamp<std::int64_t>(d.count(), 0, most));
    const auto at = std::lower_bound(bucket_ns.begin(), bucket_ns.end(), ns) - bucket_ns.begin();
    buckets_[static_cast<std::size_t>(at)].fetch_add(1, std::memory_order_relaxed);
    // Saturating: at the top the sum stays there rather than wrapping to a small number.
    auto sum = sum_ns_.load(std::memory_order_relaxed);
    while (!sum_ns_.compare_exchange_weak(sum, sum > UINT64_MAX - ns ? UINT64_MAX : sum + ns, std::memory_order_relaxed)) {
    }
    count_.fetch_add(1, std::memory_order_relaxed);
}

histogram::totals histogram::read() const {
    totals t;
    for (std::size_t i = 0; i < t.buckets.size(); ++i) t.buckets[i] = buckets_[i].load(std::memory_order_relaxed);
    t.above = buckets_.back().load(std::memory_order_relaxed);
    t.sum_s = static_cast<double>(sum_ns_.load(std::memory_order_relaxed)) / 1e9;
    // The count is the buckets' total: read one by one, they could disagree with count_.
    t.count = t.above;
    for (auto b : t.buckets) t.count += b;
    return t;
}

histogram::totals& histogram::totals::operator+=(const totals& o) {
    for (std::size_t i = 0; i < buckets.size(); ++i) buckets[i] += o.buckets[i];
    above += o.above;
    count += o.count;
    sum_s += o.sum_s;
    return *this;
}

void exposition::family(std::string name, kind k, std::string help) {
    families_.try_emplace(std::move(name), declared{k, std::move(help), {}});
}

void exposition::sample(std::string_view family, const label_list& labels, double value) {
    auto f = families_.find(family);
    if (f == families_.end()) return;
    auto key = render_labels(labels);
    std::string line = std::string(family) + key + " " + number(value) + "\n";
    f->second.lines[std::move(key)] = std::move(line);
}

void exposition::sample(std::string_view family, const label_list& labels, const histogram::totals& h) {
    auto f = families_.find(family);
    if (f == families_.end()) return;
    const std::string name(family);
    std::string text;
    std::uint64_t cumulative = 0;
    for (std::size_t i = 0; i < latency_buckets.size(); ++i) {
        cumulative += h.buckets[i];
        text += name + "_bucket" + render_labels(labels, "le", number(latency_buckets[i])) + " " +
                std::to_string(cumulative) + "\n";
    }
    text += name + "_bucket" + render_labels(labels, "le", "+Inf") + " " + std::to_string(h.count) + "\n";
    const auto key = render_labels(labels);
    text += name + "_sum" + key + " " + number(h.sum_s) + "\n";
    text += name + "_count" + key + " " + std::to_string(h.count) + "\n";
    f->second.lines[key] = std::move(text);
}

std::string exposition::text() const {
    std::string out;
    for (auto& [name, f] : families_) {
        out += "# HELP " + name + " " + escape_help(f.help) + "\n";
        out += "# TYPE " + name + " " + type_name(f.k) + "\n";
        for (auto& [_, line] : f.lines) out += line;
    }
    return out;
}

std::string exposition::escape_label(std::string_view v) {
    std::string out;
    out.reserve(v.size());
    for (char c : v) {
        if (c == '\\') out += "\\\\";
        else if (c == '"') out += "\\\"";
        else if (c == '\n') out += "\\n";
        else out += c;
    }
    return out;
}

std::string exposition::escape_help(std::string_view v) {
    std::string out;
    for (char c : v) {
        if (c == '\\') out += "\\\\";
        else if (c == '\n') out += "\\n";
        else out += c;
    }
    return out;
}

labelled_counter::labelled_counter(std::string name, std::string help, std::vector<std::string> label_names,
                                   std::size_t max_children)
    : name_(std::move(name)), help_(std::move(help)), label_names_(std::move(label_names)), max_children_(max_children) {}

void labelled_counter::add(const std::vector<std::string>& values, std::uint64_t n) {
    std::lock_guard lock(mutex_);
    auto it = values_.find(values);
    if (it != values_.end()) {
        it->second += n;
        return;
    }
    if (values_.size() < max_children_) {
        values_.emplace(values, n);
        return;
    }
    // Past the bound every new label set is counted as one: the total stays right.
    values_[std::vector<std::string>(label_names_.size(), "_overflow")] += n;
}

void labelled_counter::collect(exposition& out) const {
    out.family(name_, exposition::kind::counter, help_);
    std::lock_guard lock(mutex_);
    for (auto& [values, n] : values_) {
        label_list labels;
        for (std::size_t i = 0; i < label_names_.size() && i < values.size(); ++i) labels.emplace_back(label_names_[i], values[i]);
        out.sample(name_, labels, static_cast<double>(n));
    }
}

std::string metrics::render(const collector& extra) const {
    exposition out;
    for (auto& c : collectors_) {
        try {
            c(out);
        } catch (const std::exception& e) {
            spdlog::warn("a metrics collector failed: {}", e.what());
        }
    }
    if (extra) extra(out);
    return out.text();
}

}  // namespace berth::host::ops
