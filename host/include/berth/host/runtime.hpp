// berth::host::runtime: the whole host as an object an application embeds.
//
//     auto cfg = berth::host::load_config("config/berth.json");   // check cfg.errors first
//     berth::host::runtime rt(*cfg.value);
//     rt.start();          // binds the admin and plugin ports, loads every plugin
//     ...                  // serve; rt.admin_port(), rt.plugins() tell where
//     rt.stop();           // graceful: drains in-flight requests, unloads plugins
//
// A plugin that fails to load (or whose port cannot be bound) is reported, never fatal:
// the other plugins serve. start() throws start_error when a file or directory it needs is not
// private (a key readable by others, a link where a key should be) or cannot be made, and
// std::system_error when the admin listener cannot be bound.
//
// start() changes two things for the whole process: it sets the umask to 077 (the runtime
// creates keys, databases and copies of plugins, and none of them is for anyone else), and it
// raises the soft RLIMIT_NOFILE to the hard limit (connections are capped below it).
#pragma once

#include <berth/host/config.hpp>

#include <cstdint>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

namespace berth::host {

// What one plugin looks like from outside, as GET /plugins shows it.
struct plugin_endpoint {
    std::string name;
    std::string address;
    std::uint16_t port = 0;  // as bound (0 if binding failed)
    std::string state;       // loading, serving, failed, stopped
    std::string version;     // empty until a generation serves
    std::string last_error;  // "step: message", empty if none
};

class start_error : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

struct unload_result {
    std::string name;
    bool unloaded = false;  // the library really left the address space
    std::string detail;
};

class runtime {
public:
    explicit runtime(config cfg);
    ~runtime();  // stop()s if needed
    runtime(const runtime&) = delete;
    runtime& operator=(const runtime&) = delete;

    void start();
    // Idempotent. Returns, per plugin that had a generation, whether its library unloaded.
    std::vector<unload_result> stop();

    std::uint16_t admin_port() const;
    std::optional<std::uint16_t> plugin_port(const std::string& name) const;
    std::vector<plugin_endpoint> plugins() const;
    const config& configuration() const;

    // The berthd version string.
    static const char* version();

private:
    struct impl;
    std::unique_ptr<impl> impl_;
};

}  // namespace berth::host
