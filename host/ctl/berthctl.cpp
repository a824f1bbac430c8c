// berthctl: the admin API of a running berthd from a shell. Exit codes: 0 done, 1 refused (the
// reason is printed), 2 usage, 3 unreachable or no usable answer (docs/operations.md).
#include "commands.hpp"

#include <CLI/CLI.hpp>

#include <iostream>

int main(int argc, char** argv) {
    using namespace berth::ctl;
    CLI::App app{"berthctl: operate a running berthd through its admin API"};
    app.require_subcommand(1);
    std::string url = "http://127.0.0.1:8080";
    std::string token_file;
    bool json = false;
    double timeout_s = 30;
    app.add_option("--url", url, "the admin API (also BERTH_ADMIN_URL)")->envname("BERTH_ADMIN_URL")->capture_default_str();
    auto token_option = app.add_option("--token-file", token_file,
                   "the admin token's file; without it: BERTH_ADMIN_TOKEN, then /var/lib/berth/admin.token if "
                   "readable, then ./var/admin.token");
    app.add_flag("--json", json, "print the API's JSON as it is, for scripts");
    app.add_option("--timeout", timeout_s, "seconds to wait for an answer (swaps answer when done)")
        ->check(CLI::Range(0.1, 3600.0))
        ->capture_default_str();
    app.fallthrough();  // the global options may also follow the command

    command chosen;
    add_module_commands(app, chosen);
    add_swap_commands(app, chosen);
    add_config_commands(app, chosen);
    add_ops_commands(app, chosen);

    try {
        app.parse(argc, argv);
    } catch (const CLI::CallForHelp& e) {
        return app.exit(e);
    } catch (const CLI::CallForAllHelp& e) {
        return app.exit(e);
    } catch (const CLI::ParseError& e) {
        app.exit(e);
        return usage;
    }

    admin_url where;
    token_lookup token;
    try {
        where = parse_admin_url(url);
        if (!loopback_host(where.host))  // warn, not refuse: a tunnel or a private network may be meant
            std::cerr << "berthctl: warning: " << where.host
                      << " is not a loopback address; the admin token goes to it over plain http, readable on the way\n";
        token = find_token(token_option->count() ? std::optional(token_file) : std::nullopt);
    } catch (const std::exception& e) {
        std::cerr << "berthctl: " << e.what() << "\n";
        return usage;
    }
    context c{admin_client(where, token.token, std::chrono::milliseconds(static_cast<long>(timeout_s * 1000))),
              std::move(token), json, std::cout, std::cerr};
    try {
        return chosen(c);
    } catch (const unreachable& e) {
        std::cerr << "berthctl: " << e.what() << "\n";
        return unreachable_code;
    } catch (const nlohmann::json::exception& e) {
        std::cerr << "berthctl: the admin API's answer did not have the expected shape (" << e.what() << ")\n";
        return unreachable_code;
    }
}
