// config plan, config apply: POST /config/reload, dry run or for real.
#include "commands.hpp"

#include <ostream>

namespace berth::ctl {

namespace {

void print_plan(const context& c, const nlohmann::json& plan) {
    if (!plan.is_array() || plan.empty()) {
        c.out << "nothing to do: the running modules match the config file\n";
        return;
    }
    table t{{"STEP", "ACTION", "MODULE", "DETAIL"}, {}};
    std::size_t i = 0;
    for (auto& s : plan) t.rows.push_back({std::to_string(i++), cell(s, "action"), cell(s, "module"), cell(s, "detail")});
    t.print(c.out);
}

int reload_config(context& c, bool dry_run) {
    auto a = c.client.call("POST", dry_run ? "/config/reload?dry_run=true" : "/config/reload");
    if (!a.ok()) {
        int rc = show_refusal(c, a);
        // A failed step: the plan it stopped in, so the operator sees what was put back.
        auto p = nlohmann::json::parse(a.body, nullptr, false);
        if (!c.json && p.is_object() && p.contains("plan")) {
            c.err << "the plan (rolled back: " << cell(p, "rolled_back") << "):\n";
            context to_err{c.client, c.token, false, c.err, c.err};
            print_plan(to_err, p["plan"]);
        }
        return rc;
    }
    if (printed_raw(c, a)) return done;
    auto j = json_of(a);
    print_plan(c, j.value("plan", nlohmann::json::array()));
    if (dry_run) c.out << "(dry run: nothing applied; `berthctl config apply` applies it)\n";
    else c.out << (j.value("applied", false) ? "applied\n" : "not applied\n");
    return done;
}

}  // namespace

void add_config_commands(CLI::App& app, command& chosen) {
    auto config = app.add_subcommand("config", "re-read the host's config file: see the plan, or apply it");
    config->require_subcommand(1);
    config->add_subcommand("plan", "what a reload of the config file would change (nothing is applied)")->callback([&] {
        chosen = [](context& c) { return reload_config(c, true); };
    });
    config->add_subcommand("apply", "reload the config file: apply the whole plan, or put back what a failed step changed")
        ->callback([&] { chosen = [](context& c) { return reload_config(c, false); }; });
}

}  // namespace berth::ctl
