#include "output.hpp"

#include <algorithm>
#include <ostream>

namespace berth::ctl {

namespace {

constexpr std::size_t max_cell = 60;

// One line: a newline in a cell would break the table; and nothing a terminal would obey.
std::string flat(const std::string& s) { return terminal_safe(s); }

// How many bytes the UTF-8 sequence at `s` takes and its code point; 0 when it is not valid.
std::size_t decode(std::string_view s, char32_t& cp) {
    const auto b = [&](std::size_t i) { return static_cast<unsigned char>(s[i]); };
    const unsigned char lead = b(0);
    std::size_t n = lead < 0x80 ? 1 : (lead >> 5) == 0x6 ? 2 : (lead >> 4) == 0xe ? 3 : (lead >> 3) == 0x1e ? 4 : 0;
    if (n == 0 || n > s.size()) return 0;
    cp = n == 1 ? lead : lead & (0x7f >> n);
    for (std::size_t i = 1; i < n; ++i) {
        if ((b(i) & 0xc0) != 0x80) return 0;
        cp = (cp << 6) | (b(i) & 0x3f);
    }
    constexpr char32_t least[] = {0, 0, 0x80, 0x800, 0x10000};
    if (cp < least[n] || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return 0;
    return n;
}

std::string clipped(std::string s) {
    s = flat(std::move(s));
    if (s.size() > max_cell) s = s.substr(0, max_cell - 3) + "...";
    return s;
}

// Problem members shown as "key: value" under the detail, in this order.
constexpr const char* problem_members[] = {"module", "plugin", "step", "reason", "failed_step", "rolled_back", "count"};

}  // namespace

std::string terminal_safe(std::string_view text) {
    std::string out;
    out.reserve(text.size());
    for (std::size_t i = 0; i < text.size();) {
        char32_t cp = 0;
        const auto n = decode(text.substr(i), cp);
        if (n == 0) {
            out += '?';
            ++i;
            continue;
        }
        if (cp == '\n' || cp == '\r' || cp == '\t') out += ' ';
        else if (cp < 0x20 || (cp >= 0x7f && cp <= 0x9f) || cp == 0x2028 || cp == 0x2029) out += '?';
        else out.append(text.substr(i, n));
        i += n;
    }
    return out;
}

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
    if (v.is_string()) return terminal_safe(v.get_ref<const std::string&>());
    if (v.is_boolean()) return v.get<bool>() ? "yes" : "no";
    return v.dump(-1, ' ', true);
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
        c.out << (p.is_discarded() ? nlohmann::json{{"status", a.status}, {"body", terminal_safe(a.body.substr(0, 4096))}} : p)
                     .dump(-1, ' ', true)
              << "\n";
        return refused;
    }
    if (!p.is_object()) {
        c.err << "berthctl: refused (" << a.status << "): " << clipped(a.body.substr(0, 200)) << "\n";
        return refused;
    }
    c.err << "berthctl: refused (" << a.status;
    if (p.contains("title") && p["title"].is_string()) c.err << " " << cell(p["title"]);
    c.err << ")";
    if (p.contains("detail") && p["detail"].is_string()) c.err << ": " << cell(p["detail"]);
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
    c.out << j.dump(-1, ' ', true) << "\n";
    return true;
}

}  // namespace berth::ctl
