// reload, rollback, retire: the swaps of one module.
#include "commands.hpp"

#include <filesystem>
#include <memory>
#include <ostream>

namespace berth::ctl {

namespace {

// A swap's answer: {"result"|"outcome", "detail", "module"|"plugin"}; one line for a person.
int print_swap(context& c, const answer& a, const std::string& name) {
    if (!a.ok()) return show_refusal(c, a);
    if (printed_raw(c, a)) return done;
    auto j = json_of(a);
    std::string outcome = j.contains("outcome") ? cell(j, "outcome") : cell(j, "result");
    c.out << name << ": " << outcome;
    if (j.contains("detail")) c.out << ": " << cell(j, "detail");
    c.out << "\n";
    if (j.contains("breaking_changes") && j["breaking_changes"].is_array())
        for (auto& ch : j["breaking_changes"])
            c.out << "  accepted breaking change: " << cell(ch, "kind") << " " << cell(ch, "method") << " "
                  << cell(ch, "path") << ": " << cell(ch, "message") << "\n";
    return done;
}

}  // namespace

void add_swap_commands(CLI::App& app, command& chosen) {
    struct reload_options {
        std::string name, library;
        bool force = false;
    };
    auto ro = std::make_shared<reload_options>();
    auto reload = app.add_subcommand("reload", "swap a module to its configured file, or to --library");
    reload->add_option("NAME", ro->name, "the module")->required();
    reload->add_option("--library", ro->library,
                       "a one-off other file (made absolute against the current directory)");
    reload->add_flag("--force", ro->force, "swap even if the new build breaks the active contract");
    reload->callback([&chosen, ro] {
        nlohmann::json body = nlohmann::json::object();
        if (!ro->library.empty())
            body["library"] = std::filesystem::absolute(ro->library).lexically_normal().string();
        const std::string target = "/modules/" + path_segment(ro->name) + "/reload" + (ro->force ? "?force=true" : "");
        chosen = [body, target, name = ro->name](context& c) {
            return print_swap(c, c.client.call("POST", target, body.dump()), name);
        };
    });

    auto rollback_name = std::make_shared<std::string>();
    auto rollback = app.add_subcommand("rollback", "swap a module back to the build its active generation replaced");
    rollback->add_option("NAME", *rollback_name, "the module")->required();
    rollback->callback([&chosen, rollback_name] {
        chosen = [name = *rollback_name](context& c) {
            return print_swap(c, c.client.call("POST", "/modules/" + path_segment(name) + "/rollback"), name);
        };
    });

    struct retire_options {
        std::string name;
        unsigned major = 0;
    };
    auto rt = std::make_shared<retire_options>();
    auto retire = app.add_subcommand("retire", "stop serving an older major of a module (drains its generation)");
    retire->add_option("NAME", rt->name, "the module")->required();
    retire->add_option("--major", rt->major, "the major version to retire")->required()->check(CLI::Range(0u, 1000000u));
    retire->callback([&chosen, rt] {
        chosen = [name = rt->name, major = rt->major](context& c) {
            auto a = c.client.call("POST", "/modules/" + path_segment(name) + "/retire?major=" + std::to_string(major));
            if (!a.ok()) return show_refusal(c, a);
            if (printed_raw(c, a)) return int(done);
            auto j = json_of(a);
            c.out << name << ": retired v" << major;
            if (j.contains("detail")) c.out << ": " << cell(j, "detail");
            c.out << "\n";
            return int(done);
        };
    });
}

}  // namespace berth::ctl
