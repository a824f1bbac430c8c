// Starts a real berth::host::runtime in-process: admin and every plugin on port 0, a fresh
// data directory, the plugins given as real .so files.
#pragma once

#include <berth/host/runtime.hpp>

#include "support/http_client.hpp"

#include <nlohmann/json.hpp>

#include <filesystem>
#include <memory>
#include <string>
#include <vector>

namespace berth::test {

// <build>/tests/plugins/<name>.so (test plugins) or <build>/plugins/<name>.so (shipped).
std::filesystem::path test_plugin(const std::string& name);
std::filesystem::path shipped_plugin(const std::string& name);

// A fresh directory under the system temp dir, removed by the destructor.
class temp_dir {
public:
    temp_dir();
    ~temp_dir();
    const std::filesystem::path& path() const { return path_; }

private:
    std::filesystem::path path_;
};

struct plugin_spec {
    std::string name;
    std::filesystem::path library;
    nlohmann::json options = nlohmann::json::object();  // merged into the plugin's config entry
};

class test_host {
public:
    // `top` is merged into the top-level config (limits, threads, ...).
    explicit test_host(std::vector<plugin_spec> plugins, nlohmann::json top = nlohmann::json::object());
    ~test_host();

    berth::host::runtime& runtime() { return *runtime_; }
    std::uint16_t port(const std::string& plugin) const;
    std::uint16_t admin_port() const { return runtime_->admin_port(); }
    // The admin API's bearer token, read from <data_dir>/admin.token as an operator would.
    std::string admin_token() const;
    // A call to the admin API as the operator: the bearer token, and Content-Type:
    // application/json on every method but GET and HEAD.
    reply admin(const std::string& method, const std::string& target, const std::string& body = {}) const;
    const std::filesystem::path& data_dir() const { return dir_.path(); }
    const nlohmann::json& config_json() const { return config_; }

private:
    temp_dir dir_;
    nlohmann::json config_;
    std::unique_ptr<berth::host::runtime> runtime_;
};

}  // namespace berth::test
