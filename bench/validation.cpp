// Worst-case contract validation per shipped route. Loads each shipped plugin's manifest
// through the ABI (create + describe, nothing started), compiles every body and query schema
// with the host's validator, builds ~1 MiB adversarial documents at every place the schema
// names, and prints per route the slowest validation over N runs next to nlohmann's parse
// of the same text (the baseline any request pays anyway).
//
//   berth_bench_validation [runs=5] [plugin-dir]
#include "contract/json_schema.hpp"

#include <berth/abi.h>
#include <dlfcn.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <functional>
#include <string>
#include <vector>

namespace {

using nlohmann::json;
constexpr std::size_t budget = 1048576 - 512;

struct candidate {
    std::string label;
    std::string text;
};

void append(void* ctx, berth_bytes b) { static_cast<std::string*>(ctx)->append(b.data, b.size); }

json manifest(const std::string& path) {
    void* so = dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
    if (!so) throw std::runtime_error(dlerror());
    auto* d = static_cast<const berth_plugin_descriptor*>(dlsym(so, BERTH_DESCRIPTOR_SYMBOL));
    if (!d) throw std::runtime_error("no descriptor in " + path);
    std::string out, error;
    berth_writer w{sizeof(berth_writer), &out, append}, e{sizeof(berth_writer), &error, append};
    berth_host_api host{};
    host.struct_size = sizeof(host);
    const std::string settings = "{}";
    berth_create_args args{sizeof(args), {d->name, std::char_traits<char>::length(d->name)},
                           {settings.data(), settings.size()}, {"", 0}, {"", 0}};
    void* instance = nullptr;
    if (d->create(&host, &args, &instance, &e) != BERTH_OK || d->describe(instance, &w, &e) != BERTH_OK)
        throw std::runtime_error(path + ": " + error);
    d->destroy(instance);
    return json::parse(out);  // the library stays mapped: its code is gone from nothing we hold
}

// Wraps `value` (JSON text) into the path (object keys; "[]" means an array's first item).
std::string wrap(const std::vector<std::string>& path, const std::string& value) {
    std::string head, tail;
    for (auto& p : path) {
        if (p == "[]") {
            head += "[";
            tail.insert(0, "]");
        } else {
            head += "{" + json(p).dump() + ":";
            tail.insert(0, "}");
        }
    }
    return head + value + tail;
}

// Fillers sized so the whole document stays just under the budget.
std::vector<candidate> at(const std::vector<std::string>& path) {
    std::size_t room = budget - wrap(path, "").size();
    std::string where;
    for (auto& p : path) where += "/" + p;
    std::vector<candidate> out;
    for (char c : {'a', '9'}) out.push_back({where + " string of " + c, wrap(path, "\"" + std::string(room - 2, c) + "\"")});
    out.push_back({where + " long number", wrap(path, "1." + std::string(room - 3, '0') + "1")});
    std::string items = "[";
    while (items.size() + 2 < room) items += "0,";
    items.back() = ']';
    out.push_back({where + " many items", wrap(path, items)});
    const std::string deep = std::string(60, '[') + std::string(60, ']');
    std::string nested = "[";
    while (nested.size() + deep.size() + 1 < room) nested += deep + ",";
    nested.back() = ']';
    out.push_back({where + " deep arrays", wrap(path, nested)});
    std::string unknown = "{";
    for (int i = 0; unknown.size() + 16 < room; ++i) unknown += "\"p" + std::to_string(i) + "\":0,";
    unknown.back() = '}';
    out.push_back({where + " unknown properties", wrap(path, unknown)});
    return out;
}

// Every place reachable through properties and items, the root included.
void places(const json& schema, std::vector<std::string>& path, std::vector<std::vector<std::string>>& out) {
    out.push_back(path);
    if (!schema.is_object() || path.size() > 4) return;
    if (auto p = schema.find("properties"); p != schema.end() && p->is_object())
        for (auto& [name, sub] : p->items()) {
            path.push_back(name);
            places(sub, path, out);
            path.pop_back();
        }
    if (auto i = schema.find("items"); i != schema.end() && i->is_object()) {
        path.push_back("[]");
        places(*i, path, out);
        path.pop_back();
    }
}

double ms_since(std::chrono::steady_clock::time_point t) {
    return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t).count();
}

}  // namespace

int main(int argc, char** argv) {
    const int runs = argc > 1 ? std::max(1, std::atoi(argv[1])) : 5;
    const std::string dir = argc > 2 ? argv[2] : BERTH_PLUGIN_DIR;
    // validate/parse: the slowest run of the slowest document, and the parse of that document;
    // median: the largest per-document median (the machine's noise shows in the worst).
    std::printf("%-44s %-34s %10s %10s %7s %10s %7s\n", "route", "worst document", "validate", "parse", "ratio",
                "median", "errors");
    for (const char* plugin : {"users", "categories", "products", "payment"}) {
        json m = manifest(dir + "/" + plugin + ".so");
        for (auto& route : m["routes"]) {
            for (const char* part : {"schema", "query"}) {
                if (!route.contains(part)) continue;
                auto schema = berth::host::contract::json_schema::compile(route[part]);
                std::vector<std::vector<std::string>> where;
                std::vector<std::string> path;
                places(route[part], path, where);
                double worst = 0, worst_parse = 0, worst_median = 0;
                std::size_t errors = 0, worst_errors = 0;
                std::string label;
                for (auto& p : where)
                    for (auto& c : at(p)) {
                        double parse = 0;
                        std::vector<double> v;
                        for (int r = 0; r < runs; ++r) {
                            auto t = std::chrono::steady_clock::now();
                            json doc = json::parse(c.text);
                            parse = std::max(parse, ms_since(t));
                            t = std::chrono::steady_clock::now();
                            errors = schema->validate(doc).size();
                            v.push_back(ms_since(t));
                        }
                        std::sort(v.begin(), v.end());
                        worst_median = std::max(worst_median, v[v.size() / 2]);
                        if (v.back() > worst) worst = v.back(), worst_parse = parse, label = c.label, worst_errors = errors;
                    }
                std::string name = route["method"].get<std::string>() + " " + route["path"].get<std::string>() +
                                   (std::string(part) == "query" ? " (query)" : "");
                std::printf("%-44s %-34s %8.2fms %8.2fms %7.2f %8.2fms %7zu\n", name.c_str(),
                            label.substr(0, 34).c_str(), worst, worst_parse, worst / worst_parse, worst_median,
                            worst_errors);
            }
        }
    }
}
