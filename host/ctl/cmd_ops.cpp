// metrics, logs, dashboard.
#include "commands.hpp"

#include <atomic>
#include <csignal>
#include <memory>
#include <ostream>
#include <thread>

namespace berth::ctl {

namespace {

std::atomic<bool> interrupted{false};

// A sample or metadata line's metric name.
std::string metric_name(const std::string& line) {
    if (line.rfind("# HELP ", 0) == 0 || line.rfind("# TYPE ", 0) == 0) {
        auto rest = line.substr(7);
        return rest.substr(0, rest.find(' '));
    }
    if (line.empty() || line[0] == '#') return {};
    return line.substr(0, line.find_first_of("{ "));
}

// Whether a metric name belongs to `family` (histogram and summary samples carry a suffix).
bool in_family(const std::string& name, const std::string& family) {
    if (name == family) return true;
    if (name.rfind(family, 0) != 0) return false;
    auto suffix = name.substr(family.size());
    return suffix == "_bucket" || suffix == "_sum" || suffix == "_count" || suffix == "_total" || suffix == "_created";
}

int metrics(context& c, const std::vector<std::string>& families) {
    auto a = c.client.get("/metrics");
    if (!a.ok()) return show_refusal(c, a);
    std::size_t start = 0, shown = 0;
    while (start < a.body.size()) {
        auto end = a.body.find('\n', start);
        if (end == std::string::npos) end = a.body.size();
        auto line = a.body.substr(start, end - start);
        start = end + 1;
        if (!families.empty()) {
            auto name = metric_name(line);
            bool keep = false;
            for (auto& f : families) keep = keep || (!name.empty() && in_family(name, f));
            if (!keep) continue;
        }
        c.out << terminal_safe(line) << "\n";  // label values are the host's, but the text is a server's
        ++shown;
    }
    if (!families.empty() && shown == 0) {
        c.err << "berthctl: no metric family named";
        for (auto& f : families) c.err << " " << f;
        c.err << "\n";
        return refused;
    }
    return done;
}

void print_event(const context& c, const nlohmann::json& e) {
    if (c.json) {
        c.out << e.dump(-1, ' ', true) << "\n";  // ASCII only: no server text reaches the terminal raw
        return;
    }
    std::string fields;
    if (e.contains("fields") && e["fields"].is_object())
        for (auto& [k, v] : e["fields"].items()) {
            auto text = cell(v);  // quoted when it has a space, so key=value pairs stay readable
            fields += " " + k + "=" + (text.find(' ') == std::string::npos ? text : nlohmann::json(text).dump());
        }
    auto module = cell(e, "module");  // host-wide events (start, stop, admin calls) have none
    if (module.empty()) module = "-";
    auto kind = cell(e, "kind");
    // Padded so that the fields of most lines start in one column.
    c.out << cell(e, "time") << "  #" << cell(e, "seq") << "  " << kind << std::string(kind.size() < 12 ? 12 - kind.size() : 1, ' ')
          << module << std::string(module.size() < 12 ? 12 - module.size() : 1, ' ') << fields.substr(fields.empty() ? 0 : 1)
          << "\n";
}

int logs(context& c, std::uint64_t after, bool follow) {
    std::signal(SIGINT, [](int) { interrupted = true; });
    std::signal(SIGTERM, [](int) { interrupted = true; });
    for (;;) {
        // Every event kept since `after`, a page at a time (the host keeps 1024: a few pages; the
        // cap stops a host that never runs dry).
        for (int page = 0; page < 64; ++page) {
            auto a = c.client.get("/events?after=" + std::to_string(after) + "&limit=1000");
            if (!a.ok()) return show_refusal(c, a);
            auto j = json_of(a);
            auto events = j.value("events", nlohmann::json::array());
            for (auto& e : events) print_event(c, e);
            c.out.flush();
            auto next = j.value("next", after);
            // The host's newest event is older than what we asked after: it restarted, and its
            // sequence began again. Start from its first event.
            if (auto last = j.value("last", next); last < after) {
                c.err << "berthctl: the host restarted (its newest event is #" << last << ", asked after #" << after
                      << "); its events from the start:\n";
                after = 0;
                continue;
            }
            after = next;
            if (events.empty()) break;
        }
        if (!follow) return done;
        for (int tenth = 0; tenth < 10 && !interrupted; ++tenth) std::this_thread::sleep_for(std::chrono::milliseconds(100));
        if (interrupted) return done;
    }
}

}  // namespace

void add_ops_commands(CLI::App& app, command& chosen) {
    auto families = std::make_shared<std::vector<std::string>>();
    auto m = app.add_subcommand("metrics", "the host's Prometheus metrics, as text");
    m->add_option("--filter", *families, "only this metric family (repeat for more)");
    m->callback([&chosen, families] { chosen = [families](context& c) { return metrics(c, *families); }; });

    struct log_options {
        bool follow = false;
        std::uint64_t after = 0;
    };
    auto lo = std::make_shared<log_options>();
    auto l = app.add_subcommand("logs", "the host's recent events (loads, swaps, refusals, config changes, admin calls)");
    l->add_flag("-f,--follow", lo->follow, "keep printing new events (polls every second) until interrupted");
    l->add_option("--after", lo->after, "only events after this sequence number");
    l->callback([&chosen, lo] { chosen = [lo](context& c) { return logs(c, lo->after, lo->follow); }; });

    app.add_subcommand("dashboard", "a one-time link (valid 60 s) that opens the dashboard signed in")->callback([&] {
        chosen = [](context& c) {
            auto a = c.client.call("POST", "/dashboard/links");
            if (!a.ok()) return show_refusal(c, a);
            if (printed_raw(c, a)) return int(done);
            auto j = json_of(a);
            c.out << cell(j, "url") << "\n";
            c.err << "(open it within " << cell(j, "expires_in_s") << " s; it works once)\n";
            return int(done);
        };
    });
}

}  // namespace berth::ctl
