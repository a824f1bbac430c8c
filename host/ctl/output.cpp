#include "output.hpp"

#include <algorithm>
#include <ostream>

namespace berth::ctl {

namespace {

constexpr std::size_t max_cell = 60;

// One line: a newline in a cell would break the table.
std::string flat(std::string s) {
    for (auto& ch : s)
        if (ch == '\n' || ch == '\t' || ch == '\r') ch = ' ';
    return s;
}

std::string clipped(std::string s) {
    s = flat(std::move(s));
    if (s.size() > max_cell) s = s.substr(0, max_cell - 3) + "...";
    return s;
}

// Problem members shown as "key: value" under the detail, in this order.
constexpr const char* problem_members[] = {"module", "plugin", "step", "reason", "failed_step", "rolled_back", "count"};

}  // namespace

void table::print(std::ostream& out) const {
    std::vector<std::size_t> width(header.size(), 0);
    auto measure = [&](const std::vector<std::string>& row) {
        for (std::size_t i = 0; i < row.size() && i < width.size(); ++i)
            width[i] = std::max(width[i], clipped(row[i]).size());
    };
    measure(header);
    for (auto& r : rows) measure(r);
    auto line = [&](const std::vector<std::string>& row) {
        std::string text;
        for (std::size_t i = 0; i < row.size() && i < width.size(); ++i) {
            // The last column (a detail, an error) is printed whole: nothing follows it.
            auto c = i + 1 < row.size() ? clipped(row[i]) : flat(row[i]);
            text += c;
            if (i + 1 < row.size()) text += std::string(width[i] - c.size() + 2, ' ');
        }
        out << text << "\n";
    };
    line(header);
    for (auto& r : rows) line(r);
}

std::string cell(const nlohmann::json& v) {
    if (v.is_null()) return "-";
    if (v.is_string()) return v.get<std::string>();
    if (v.is_boolean()) return v.get<bool>() ? "yes" : "no";
    return v.dump();
}

std::string cell(const nlohmann::json& object, const char* key) {
    if (!object.is_object() || !object.contains(key)) return "-";
    return cell(object[key]);
}

nlohmann::json json_of(const answer& a) {
    auto j = nlohmann::json::parse(a.body, nullptr, false);
    if (j.is_discarded()) throw unreachable("the admin API answered " + std::to_string(a.status) + " with a body that is not JSON");
    return j;
}

int show_refusal(const context& c, const answer& a) {
    auto p = nlohmann::json::parse(a.body, nullptr, false);
    if (c.json) {
        c.out << (p.is_discarded() ? nlohmann::json{{"status", a.status}, {"body", a.body.substr(0, 4096)}} : p).dump()
              << "\n";
        return refused;
    }
    if (!p.is_object()) {
        c.err << "berthctl: refused (" << a.status << "): " << clipped(a.body.substr(0, 200)) << "\n";
        return refused;
    }
    c.err << "berthctl: refused (" << a.status;
    if (p.contains("title") && p["title"].is_string()) c.err << " " << p["title"].get<std::string>();
    c.err << ")";
    if (p.contains("detail") && p["detail"].is_string()) c.err << ": " << p["detail"].get<std::string>();
    c.err << "\n";
    for (auto* key : problem_members)
        if (p.contains(key) && !p[key].is_null() && !p[key].is_object()) c.err << "  " << key << ": " << cell(p[key]) << "\n";
    if (p.contains("step") && p["step"].is_object())
        c.err << "  step: " << cell(p["step"], "action") << " " << cell(p["step"], "module") << "\n";
    if (p.contains("errors") && p["errors"].is_array()) {
        c.err << "  errors:\n";
        for (auto& e : p["errors"]) {
            auto where = e.is_object() && e.contains("pointer") ? cell(e["pointer"]) : std::string();
            if (e.is_object() && e.contains("kind")) where = cell(e, "kind") + " " + cell(e, "method") + " " + cell(e, "path") + (where.empty() ? "" : " " + where);
            c.err << "    " << (where.empty() ? "(document)" : where) << ": " << cell(e, "message") << "\n";
        }
    }
    if (p.contains("not_ready") && p["not_ready"].is_array())
        for (auto& m : p["not_ready"])
            c.err << "  " << cell(m, "module") << ": " << cell(m, "state") << (m.contains("reason") ? " (" + cell(m, "reason") + ")" : "")
                  << "\n";
    if (a.status == 401) {
        c.err << "  (token: ";
        if (c.token.token.empty()) {
            c.err << "none found; looked in";
            for (auto& l : c.token.looked) c.err << " " << l;
        } else {
            c.err << "from " << c.token.source << ", refused";
        }
        c.err << ")\n";
    }
    return refused;
}

bool printed_raw(const context& c, const answer& a) {
    if (!c.json) return false;
    auto j = json_of(a);
    c.out << j.dump() << "\n";
    return true;
}

}  // namespace berth::ctl
