// berthd: the Berth host as a program. Everything real lives in berth::host::runtime.
#include <berth/abi.h>
#include <berth/host/logging.hpp>
#include <berth/host/runtime.hpp>

#include "service_notify.hpp"

#include <CLI/CLI.hpp>
#include <spdlog/spdlog.h>

#include <condition_variable>
#include <csignal>
#include <mutex>
#include <thread>
#include <iostream>

namespace {

int report(const berth::host::config_result& r, const std::string& file) {
    for (auto& e : r.errors)
        std::cerr << "berthd: " << file << ": " << (e.pointer.empty() ? "(document)" : e.pointer) << ": " << e.message
                  << "\n";
    return r.errors.empty() ? 0 : 2;
}

// What the service manager's status line says once the host serves.
std::string serving_status(const berth::host::runtime& rt) {
    std::size_t serving = 0, total = 0;
    std::string failed;
    for (auto& m : rt.modules()) {
        ++total;
        if (m.active && m.bound) ++serving;
        else failed += (failed.empty() ? "" : ", ") + m.name;
    }
    return "serving " + std::to_string(serving) + " of " + std::to_string(total) + " modules; admin on " +
           rt.configuration().admin_address + ":" + std::to_string(rt.admin_port()) +
           (failed.empty() ? "" : "; not serving: " + failed);
}

// SIGHUP: re-read the config file and apply its plan. A bad file is logged and changes nothing;
// berthd never exits for it. Runs on the reload thread (class reloader).
void reload(berth::host::runtime& rt) {
    const auto file = rt.configuration().source_file.string();  // before: a reload may replace the config
    try {
        auto report = rt.reload_config(false);
        if (report.busy) {
            spdlog::warn("SIGHUP: not applied: a reload asked through the admin API is running; {} was not read. "
                         "Send SIGHUP again once it has ended",
                         file);
            return;
        }
        for (auto& e : report.errors)
            spdlog::error("SIGHUP: {}: {}: {}", file, e.pointer.empty() ? "(document)" : e.pointer, e.message);
        for (auto& step : report.plan) spdlog::info("SIGHUP: {} {}: {}", step.action, step.module, step.detail);
        if (!report.errors.empty())
            spdlog::error("SIGHUP: {} is not valid; nothing changed", file);
        else if (report.failed_step)
            spdlog::error("SIGHUP: step {} of the plan failed ({}); what it had changed was put back",
                          *report.failed_step + 1, report.failure);
        else if (report.plan.empty())
            spdlog::info("SIGHUP: {} is valid; nothing to change", file);
        else if (report.applied)
            spdlog::info("SIGHUP: {} applied ({} steps)", file, report.plan.size());
        else
            spdlog::warn("SIGHUP: {}: {} steps planned, not applied", file, report.plan.size());
    } catch (const std::exception& e) {
        spdlog::error("SIGHUP: the reload failed: {}", e.what());
    }
}

// Runs each SIGHUP's reload off the signal thread, so that a SIGTERM during a reload is taken at
// once (the runtime then ends the plan before its next step). SIGHUPs during a reload make one more.
class reloader {
public:
    explicit reloader(berth::host::runtime& rt) : rt_(rt), thread_([this] { run(); }) {}
    ~reloader() { finish(); }
    void request() {
        {
            std::lock_guard lock(mutex_);
            pending_ = true;
        }
        wake_.notify_one();
    }
    // Before STOPPING=1: no READY=1 after it, no reload starts any more.
    void quit() {
        {
            std::lock_guard lock(mutex_);
            quit_ = true;
        }
        wake_.notify_one();
    }
    void finish() {
        quit();
        if (thread_.joinable()) thread_.join();
    }

private:
    void run() {
        std::unique_lock lock(mutex_);
        for (;;) {
            wake_.wait(lock, [this] { return pending_ || quit_; });
            if (quit_) return;
            pending_ = false;
            berth::daemon::notify_reloading();
            lock.unlock();
            reload(rt_);
            lock.lock();
            if (!quit_) berth::daemon::notify_ready(serving_status(rt_));
        }
    }

    berth::host::runtime& rt_;
    std::mutex mutex_;
    std::condition_variable wake_;
    bool pending_ = false;
    bool quit_ = false;
    std::thread thread_;
};

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
        r.errors = berth::host::check_files(*r.value, r.modules_key);
        if (int rc = report(r, check_file)) return rc;
        std::cout << check_file << ": valid (" << r.value->modules.size() << (r.value->modules.size() == 1 ? " module" : " modules") << ")\n";
        return 0;
    }

    auto r = berth::host::load_config(config_file);
    if (int rc = report(r, config_file)) return rc;

    // Block the signals berthd answers before any thread starts (every thread inherits the mask),
    // then take them one at a time here. A SIGHUP that comes during start waits for start to end.
    sigset_t signals;
    sigemptyset(&signals);
    sigaddset(&signals, SIGINT);
    sigaddset(&signals, SIGTERM);
    sigaddset(&signals, SIGHUP);
    pthread_sigmask(SIG_BLOCK, &signals, nullptr);

    berth::host::runtime rt(std::move(*r.value));
    try {
        berth::host::configure_logging(rt.configuration().logging, app.count("--log-level") ? log_level : "");
        rt.start();
    } catch (const berth::host::logging_error& e) {  // a log file that must be private is not
        spdlog::critical("cannot start: {}", e.what());
        return 2;
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

    berth::daemon::notify_ready(serving_status(rt));

    reloader reloads(rt);
    for (;;) {
        int sig = 0;
        if (sigwait(&signals, &sig) != 0) continue;
        if (sig == SIGHUP) {
            reloads.request();
            continue;
        }
        break;
    }
    reloads.quit();
    spdlog::info("stopping: no new connections; in-flight requests have {} ms", rt.configuration().shutdown_grace_ms);
    berth::daemon::notify_stopping();
    for (auto& u : rt.stop())
        if (!u.unloaded) spdlog::warn("[{}] library retained at exit: {}", u.name, u.detail);
    reloads.finish();
    spdlog::info("stopped");
    return 0;
}
