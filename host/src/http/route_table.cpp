#include "http/route_table.hpp"

#include <algorithm>
#include <cctype>
#include <stdexcept>

namespace berth::host::http {

namespace {
bool valid_param_name(std::string_view n) {
    if (n.empty() || !(std::isalpha(static_cast<unsigned char>(n[0])) || n[0] == '_')) return false;
    return std::all_of(n.begin(), n.end(), [](char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_'; });
}
}  // namespace

void route_table::add(std::string method, std::string_view tpl, std::size_t id) {
    if (tpl.empty() || tpl.front() != '/') throw std::invalid_argument("path '" + std::string(tpl) + "' must start with '/'");
    entry e{std::move(method), {}, id};
    if (tpl.size() > 1) {
        std::size_t pos = 1;
        while (true) {
            auto next = tpl.find('/', pos);
            auto seg = tpl.substr(pos, next == std::string_view::npos ? std::string_view::npos : next - pos);
            if (seg.empty()) throw std::invalid_argument("path '" + std::string(tpl) + "' has an empty segment");
            if (seg.front() == '{') {
                if (seg.back() != '}' || !valid_param_name(seg.substr(1, seg.size() - 2)))
                    throw std::invalid_argument("path '" + std::string(tpl) + "' has a malformed parameter '" +
                                                std::string(seg) + "'");
                std::string name(seg.substr(1, seg.size() - 2));
                for (auto& s : e.segments)
                    if (s.param && s.text == name)
                        throw std::invalid_argument("path '" + std::string(tpl) + "' repeats parameter '" + name + "'");
                e.segments.push_back({std::move(name), true});
            } else {
                if (seg.find_first_of("{}") != std::string_view::npos)
                    throw std::invalid_argument("path '" + std::string(tpl) + "' mixes text and a parameter in '" +
                                                std::string(seg) + "'");
                e.segments.push_back({std::string(seg), false});
            }
            if (next == std::string_view::npos) break;
            pos = next + 1;
        }
    }
    for (auto& other : entries_) {
        if (other.method != e.method || other.segments.size() != e.segments.size()) continue;
        bool same = true;
        for (std::size_t i = 0; i < e.segments.size() && same; ++i)
            same = other.segments[i].param == e.segments[i].param &&
                   (e.segments[i].param || other.segments[i].text == e.segments[i].text);
        if (same) throw std::invalid_argument(e.method + " " + std::string(tpl) + " is declared twice");
    }
    entries_.push_back(std::move(e));
}

route_table::match route_table::find(std::string_view method, const std::vector<std::string>& segments) const {
    match m;
    const entry* best = nullptr;
    std::vector<bool> best_shape;
    for (auto& e : entries_) {
        if (e.segments.size() != segments.size()) continue;
        std::vector<bool> shape(segments.size());
        bool ok = true;
        for (std::size_t i = 0; i < segments.size() && ok; ++i) {
            ok = e.segments[i].param || e.segments[i].text == segments[i];
            shape[i] = !e.segments[i].param;
        }
        if (!ok) continue;
        if (e.method != method) {
            if (std::find(m.allowed.begin(), m.allowed.end(), e.method) == m.allowed.end()) m.allowed.push_back(e.method);
            continue;
        }
        // Lexicographic on "literal at position i": the leftmost literal wins.
        if (!best || shape > best_shape) {
            best = &e;
            best_shape = std::move(shape);
        }
    }
    if (best) {
        m.result = outcome::found;
        m.id = best->id;
        m.allowed.clear();
        for (std::size_t i = 0; i < segments.size(); ++i)
            if (best->segments[i].param) m.params.emplace_back(best->segments[i].text, segments[i]);
    } else if (!m.allowed.empty()) {
        m.result = outcome::method_not_allowed;
    }
    return m;
}

}  // namespace berth::host::http
