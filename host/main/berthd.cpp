// berthd: the Berth host as a program. Everything real lives in berth::host::runtime.
#include <berth/abi.h>
#include <berth/host/runtime.hpp>

#include <CLI/CLI.hpp>
#include <spdlog/spdlog.h>

#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstring>
#include <filesystem>
#include <iostream>
#include <vector>

namespace {

namespace fs = std::filesystem;

int report(const berth::host::config_result& r, const std::string& file) {
    for (auto& e : r.errors)
        std::cerr << "berthd: " << file << ": " << (e.pointer.empty() ? "(document)" : e.pointer) << ": " << e.message
                  << "\n";
    return r.errors.empty() ? 0 : 2;
}

// "" if `p` is a regular file this process can read, else why not.
std::string unreadable_file(const fs::path& p) {
    struct stat st {};
    if (::stat(p.c_str(), &st) != 0 || (S_ISREG(st.st_mode) && ::access(p.c_str(), R_OK) != 0)) {
        const int e = errno;
        return "cannot read " + p.string() + ": " + std::strerror(e);
    }
    if (!S_ISREG(st.st_mode)) return "cannot read " + p.string() + ": not a regular file";
    return {};
}

// "" if `dir` is a directory this process may write in, or could be created: its nearest
// existing ancestor is one. Nothing is created.
std::string uncreatable_dir(const fs::path& dir) {
    fs::path at = dir;
    struct stat st {};
    while (::stat(at.c_str(), &st) != 0) {
        const int e = errno;
        if ((e != ENOENT && e != ENOTDIR) || at == at.parent_path())
            return "cannot create " + dir.string() + ": " + at.string() + ": " + std::strerror(e);
        at = at.parent_path();
    }
    const std::string what = at == dir ? dir.string() : "cannot create " + dir.string() + ": " + at.string();
    if (!S_ISDIR(st.st_mode)) return what + " is not a directory";
    if (::access(at.c_str(), W_OK | X_OK) != 0) {
        const int e = errno;
        return what + " is not writable: " + std::strerror(e);
    }
    return {};
}

// What --check-config can see without starting: libraries that are not there or cannot be
// read, and a data_dir that cannot be created. Each names the key it comes from.
std::vector<berth::host::config_error> check_files(const berth::host::config& c) {
    std::vector<berth::host::config_error> out;
    if (auto why = uncreatable_dir(c.data_dir); !why.empty()) out.push_back({"/data_dir", why});
    for (auto& m : c.modules)  // module names need no escaping in a pointer: [a-z0-9_-]
        if (auto why = unreadable_file(m.library); !why.empty()) out.push_back({"/modules/" + m.name + "/library", why});
    return out;
}

}  // namespace

int main(int argc, char** argv) {
    CLI::App app{"berthd: serves Berth modules, each from a hot-swappable plugin on its own HTTP port"};
    std::string config_file = "config/berth.json";
    std::string check_file;
    std::string log_level = "info";
    bool version = false;
    app.add_option("-c,--config", config_file, "configuration file")->capture_default_str();
    app.add_option("--check-config", check_file,
                   "validate FILE, the libraries it names and its data_dir, without starting; exit 0 valid, 2 not");
    app.add_option("--log-level", log_level, "trace, debug, info, warn, error")->capture_default_str();
    app.add_flag("--version", version, "print the version and exit");
    CLI11_PARSE(app, argc, argv);

    if (version) {
        std::cout << "berthd " << berth::host::runtime::version() << " (plugin ABI " << BERTH_ABI_MAJOR << "."
                  << BERTH_ABI_MINOR << ")\n";
        return 0;
    }
    spdlog::set_level(spdlog::level::from_str(log_level));
    spdlog::set_pattern("%Y-%m-%dT%H:%M:%S.%e %^%l%$ %v");

    if (!check_file.empty()) {
        auto r = berth::host::load_config(check_file);
        if (int rc = report(r, check_file)) return rc;
        r.errors = check_files(*r.value);
        if (int rc = report(r, check_file)) return rc;
        std::cout << check_file << ": valid (" << r.value->modules.size() << (r.value->modules.size() == 1 ? " module" : " modules") << ")\n";
        return 0;
    }

    auto r = berth::host::load_config(config_file);
    if (int rc = report(r, config_file)) return rc;

    // Block the stop signals before any thread starts, then wait for one here.
    sigset_t signals;
    sigemptyset(&signals);
    sigaddset(&signals, SIGINT);
    sigaddset(&signals, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &signals, nullptr);

    berth::host::runtime rt(std::move(*r.value));
    try {
        rt.start();
    } catch (const berth::host::start_error& e) {
        spdlog::critical("cannot start: {}", e.what());
        return 2;
    } catch (const std::exception& e) {
        spdlog::critical("cannot start: {}", e.what());
        return 1;
    }
    std::cout << "berthd " << berth::host::runtime::version() << " ready\n";
    std::cout << "  admin     http://" << rt.configuration().admin_address << ":" << rt.admin_port()
              << "  (bearer token in " << rt.configuration().admin_token_file.string() << ")\n";
    for (auto& m : rt.modules())
        std::cout << "  " << m.name << std::string(m.name.size() < 10 ? 10 - m.name.size() : 1, ' ') << "http://"
                  << m.address << ":" << m.port << "  " << to_string(m.state)
                  << (m.active ? " " + m.active->version : "")
                  << (m.last_error ? "  (" + m.last_error->step + ": " + m.last_error->message + ")" : "") << "\n";
    std::cout.flush();

    int sig = 0;
    sigwait(&signals, &sig);
    spdlog::info("signal {}: stopping", sig);
    for (auto& u : rt.stop())
        if (!u.unloaded) spdlog::warn("[{}] library retained at exit: {}", u.name, u.detail);
    return 0;
}
