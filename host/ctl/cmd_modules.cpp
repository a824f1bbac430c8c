// status, plugins, show, load, unload.
#include "commands.hpp"

#include <fstream>
#include <memory>
#include <ostream>

namespace berth::ctl {

namespace {

constexpr std::size_t max_json_file_bytes = 1024 * 1024;

// --settings/--limits: inline JSON, or @FILE (at most 1 MiB). Throws CLI::ValidationError.
nlohmann::json json_argument(const std::string& option, const std::string& text) {
    std::string json = text;
    if (!text.empty() && text.front() == '@') {
        std::ifstream in(text.substr(1), std::ios::binary);
        if (!in) throw CLI::ValidationError(option, "cannot read " + text.substr(1));
        json.assign(max_json_file_bytes + 1, '\0');
        in.read(json.data(), static_cast<std::streamsize>(json.size()));
        json.resize(static_cast<std::size_t>(in.gcount()));
        if (json.size() > max_json_file_bytes) throw CLI::ValidationError(option, text.substr(1) + " is larger than 1 MiB");
    }
    auto j = nlohmann::json::parse(json, nullptr, false);
    if (j.is_discarded() || !j.is_object()) throw CLI::ValidationError(option, "must be a JSON object, or @FILE holding one");
    return j;
}

nlohmann::json unwrap_module(const nlohmann::json& answer) {
    return answer.is_object() && answer.contains("module") && answer["module"].is_object() ? answer["module"] : answer;
}

std::string generation_text(const nlohmann::json& g) {
    if (!g.is_object()) return "-";
    return cell(g, "number") + " (" + cell(g, "version") + ", sha256 " + cell(g, "sha256").substr(0, 12) + ")";
}

// "pid 4242, serving, 2 restarts, last exit: killed by signal 11 (SIGSEGV) at <time>".
std::string worker_text(const nlohmann::json& w) {
    std::string text = "pid " + cell(w, "pid") + ", " + cell(w, "state") + ", " + cell(w, "restarts") +
                       (cell(w, "restarts") == "1" ? " restart" : " restarts");
    if (w.contains("last_exit") && w["last_exit"].is_string())
        text += ", last exit: " + cell(w, "last_exit") + " at " + cell(w, "last_exit_at");
    if (w.contains("next_restart_at") && w["next_restart_at"].is_string())
        text += ", next restart at " + cell(w, "next_restart_at");
    return text;
}

void print_module(const context& c, const nlohmann::json& m) {
    auto row = [&](const std::string& label, const std::string& value) {
        c.out << label << std::string(label.size() < 14 ? 14 - label.size() : 1, ' ') << value << "\n";
    };
    row("name", cell(m, "name"));
    row("plugin", cell(m, "plugin"));
    row("state", cell(m, "state") + (m.contains("ready") ? (m["ready"] == true ? ", ready" : ", not ready") : ""));
    row("listens", cell(m, "address") + ":" + cell(m, "port") + (m.value("bound", false) ? "" : " (not bound)"));
    const auto active = m.value("active", nlohmann::json());
    row("active", generation_text(active));
    if (active.is_object() && active.contains("isolation")) row("isolation", cell(active, "isolation"));
    if (active.is_object() && active.contains("worker") && active["worker"].is_object())
        row("worker", worker_text(active["worker"]));
    row("library", cell(m, "library"));
    if (cell(m, "configured_library") != cell(m, "library")) row("configured", cell(m, "configured_library"));
    row("in flight", cell(m, "in_flight"));
    row("previous", generation_text(m.value("previous", nlohmann::json())));
    if (m.contains("majors") && m["majors"].is_object() && !m["majors"].empty()) {
        std::string majors;
        for (auto& [major, gen] : m["majors"].items()) majors += (majors.empty() ? "v" : ", v") + major + " -> " + cell(gen);
        row("majors", majors);
    }
    for (auto& d : m.value("draining", nlohmann::json::array()))
        row("draining", generation_text(d) + ", in flight " + cell(d, "in_flight") + ", since " + cell(d, "draining_since"));
    for (auto& r : m.value("retained", nlohmann::json::array()))
        row("retained", cell(r, "number") + " (" + cell(r, "version") + "): " + cell(r, "reason"));
    if (m.contains("last_error") && m["last_error"].is_object())
        row("last error", cell(m["last_error"], "step") + ": " + cell(m["last_error"], "message"));
    if (m.contains("last_refusal") && m["last_refusal"].is_object())
        row("last refusal", cell(m["last_refusal"], "at") + ": " + cell(m["last_refusal"], "count") +
                                " breaking change(s) in " + cell(m["last_refusal"], "library"));
    if (m.contains("counters") && m["counters"].is_object()) {
        std::string counters;
        for (auto& [k, v] : m["counters"].items()) counters += (counters.empty() ? "" : " ") + k + "=" + cell(v);
        row("counters", counters);
    }
}

int status(context& c) {
    auto health = c.client.get("/healthz");
    if (!health.ok()) return show_refusal(c, health);
    auto ready = c.client.get("/readyz");
    auto modules = c.client.get("/modules");
    if (!modules.ok()) return show_refusal(c, modules);
    auto list = module_list(json_of(modules));
    // A host before issue 10 has no /readyz: then every module must be serving.
    const bool has_readyz = ready.status != 404;
    std::vector<std::string> not_serving;
    for (auto& m : list)
        if (cell(m, "state") != "serving") not_serving.push_back(cell(m, "name") + " (" + cell(m, "state") + ")");
    const bool is_ready = has_readyz ? ready.ok() : not_serving.empty();
    if (c.json) {
        nlohmann::json readiness = nlohmann::json::parse(ready.body, nullptr, false);
        c.out << nlohmann::json{{"health", json_of(health)},
                                {"ready", is_ready},
                                {"readiness", has_readyz && !readiness.is_discarded() ? readiness : nlohmann::json()},
                                {"modules", list}}
                     .dump(-1, ' ', true)
              << "\n";
        return is_ready ? done : refused;
    }
    c.out << "berthd at http://" << c.client.url().host_header << c.client.url().prefix << ": alive, "
          << (is_ready ? "ready" : "NOT READY") << (has_readyz ? "" : " (by module state: no /readyz)") << ", "
          << list.size() << (list.size() == 1 ? " module" : " modules") << "\n";
    print_modules(c, list);
    if (is_ready) return done;
    if (has_readyz) return show_refusal(c, ready);
    c.err << "berthctl: not ready:";
    for (auto& n : not_serving) c.err << " " << n;
    c.err << "\n";
    return refused;
}

int plugins(context& c) {
    auto a = c.client.get("/modules");
    if (!a.ok()) return show_refusal(c, a);
    if (printed_raw(c, a)) return done;
    print_modules(c, module_list(json_of(a)));
    return done;
}

}  // namespace

nlohmann::json module_list(const nlohmann::json& answer) {
    if (answer.is_array()) return answer;
    if (answer.is_object() && answer.contains("modules") && answer["modules"].is_array()) return answer["modules"];
    throw unreachable("GET /modules answered something that is not a module list");
}

void print_modules(const context& c, const nlohmann::json& modules) {
    table t{{"NAME", "STATE", "READY", "VERSION", "GEN", "ISOLATION", "PORT", "IN-FLIGHT", "SWAPS", "LAST ERROR"}, {}};
    for (auto& m : modules) {
        std::string error = "-";
        if (m.contains("last_error") && m["last_error"].is_object())
            error = cell(m["last_error"], "step") + ": " + cell(m["last_error"], "message");
        t.rows.push_back({cell(m, "name"), cell(m, "state"), cell(m, "ready"), cell(m, "version"), cell(m, "generation"),
                          cell(m.value("active", nlohmann::json()), "isolation"), cell(m, "port"), cell(m, "in_flight"),
                          m.contains("counters") ? cell(m["counters"], "swaps") : "-", error});
    }
    t.print(c.out);
}

void add_module_commands(CLI::App& app, command& chosen) {
    app.add_subcommand("status", "is the host alive and ready, and how is each module")->callback([&] { chosen = status; });
    app.add_subcommand("plugins", "every module: state, readiness, version, generation, port")->callback([&] {
        chosen = plugins;
    });

    auto name = std::make_shared<std::string>();
    auto show = app.add_subcommand("show", "one module in detail: generations, majors, draining, errors, counters");
    show->add_option("NAME", *name, "the module")->required();
    show->callback([&chosen, name] {
        chosen = [name](context& c) {
            auto a = c.client.get("/modules/" + path_segment(*name));
            if (!a.ok()) return show_refusal(c, a);
            if (printed_raw(c, a)) return int(done);
            print_module(c, unwrap_module(json_of(a)));
            return int(done);
        };
    });

    struct load_options {
        std::string name, library, address, database, settings, limits, plugin, isolation;
        int port = -1;
        bool watch = false, no_watch = false;
    };
    auto lo = std::make_shared<load_options>();
    auto load = app.add_subcommand("load", "load and serve a new module (validated like a module in the config file)");
    load->add_option("NAME", lo->name, "the new module's name")->required();
    load->add_option("--library", lo->library,
                     "the plugin file; a relative path is resolved by the host against its config file's directory")
        ->required();
    load->add_option("--port", lo->port, "the port to serve on (0: any free port)")->required()->check(CLI::Range(0, 65535));
    load->add_option("--address", lo->address, "the address to listen on");
    load->add_option("--database", lo->database, "the module's SOCI connection string");
    load->add_option("--settings", lo->settings, "the module's settings: JSON, or @FILE");
    load->add_option("--limits", lo->limits, "the module's limits: JSON, or @FILE");
    load->add_option("--plugin", lo->plugin, "the plugin name the library must declare");
    load->add_option("--isolation", lo->isolation, "where the plugin runs: in-process (the default) or process")
        ->check(CLI::IsMember({"in-process", "process"}));
    auto watch = load->add_flag("--watch", lo->watch, "reload when the library file is replaced (the default)");
    load->add_flag("--no-watch", lo->no_watch, "do not reload when the library file is replaced")->excludes(watch);
    load->callback([&chosen, lo] {
        nlohmann::json body = {{"name", lo->name}, {"library", lo->library}, {"port", lo->port}};
        if (!lo->address.empty()) body["address"] = lo->address;
        if (!lo->database.empty()) body["database"] = lo->database;
        if (!lo->settings.empty()) body["settings"] = json_argument("--settings", lo->settings);
        if (!lo->limits.empty()) body["limits"] = json_argument("--limits", lo->limits);
        if (!lo->plugin.empty()) body["plugin"] = lo->plugin;
        if (!lo->isolation.empty()) body["isolation"] = lo->isolation;
        if (lo->watch || lo->no_watch) body["watch"] = lo->watch;
        chosen = [body](context& c) {
            auto a = c.client.call("POST", "/modules", body.dump());
            if (!a.ok()) return show_refusal(c, a);
            if (printed_raw(c, a)) return int(done);
            auto m = unwrap_module(json_of(a));
            c.out << "loaded " << cell(m, "name") << ": " << cell(m, "plugin") << " " << cell(m, "version")
                  << " serves on " << cell(m, "address") << ":" << cell(m, "port") << " (generation "
                  << cell(m, "generation") << ")\n";
            return int(done);
        };
    });

    auto unload_name = std::make_shared<std::string>();
    auto unload = app.add_subcommand("unload", "drain a module, unload it and close its port");
    unload->add_option("NAME", *unload_name, "the module")->required();
    unload->callback([&chosen, unload_name] {
        chosen = [unload_name](context& c) {
            auto a = c.client.call("DELETE", "/modules/" + path_segment(*unload_name));
            if (!a.ok()) return show_refusal(c, a);
            if (printed_raw(c, a)) return int(done);
            auto j = json_of(a);
            c.out << "unloaded " << *unload_name << ": drained, port closed";
            if (j.contains("unloaded") && j["unloaded"] == false) c.out << "; its library stays mapped (see the log)";
            c.out << "\n";
            return int(done);
        };
    });
}

}  // namespace berth::ctl
