#include "support/test_host.hpp"

#include "support/placement.hpp"

#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <stdexcept>

namespace berth::test {

std::filesystem::path test_plugin(const std::string& name) {
    return std::filesystem::path(BERTH_TEST_PLUGIN_DIR) / (name + ".so");
}
std::filesystem::path shipped_plugin(const std::string& name) {
    return std::filesystem::path(BERTH_PLUGIN_DIR) / (name + ".so");
}

temp_dir::temp_dir() {
    std::string tpl = (std::filesystem::temp_directory_path() / "berth-test-XXXXXX").string();
    if (!mkdtemp(tpl.data())) throw std::runtime_error("mkdtemp failed");
    path_ = tpl;
}
temp_dir::~temp_dir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
}

test_host::test_host(std::vector<plugin_spec> plugins, nlohmann::json top) {
    config_ = {{"admin", {{"address", "127.0.0.1"}, {"port", 0}}},
               {"data_dir", dir_.path().string()},
               {"threads", {{"io", 2}, {"workers", 4}}},
               {"shutdown_grace_ms", 2000},
               {"contracts", {{"check_responses", true}}},  // tests hold every module to what it declares
               {"modules", nlohmann::json::object()}};
    if (top.is_object()) config_.merge_patch(top);
    // The berth-worker of this build, unless the test names its own.
    if (!config_.contains("worker_executable")) config_["worker_executable"] = BERTH_WORKER_PATH;
    for (auto& p : plugins) {
        nlohmann::json entry = {{"library", p.library.string()}, {"address", "127.0.0.1"}, {"port", 0}};
        if (p.options.is_object()) entry.merge_patch(p.options);
        place_module(entry);  // BERTH_TEST_ISOLATION (support/placement.hpp)
        config_["modules"][p.name] = entry;
    }
    auto parsed = berth::host::parse_config(config_.dump(), dir_.path());
    if (!parsed.value) {
        std::string why;
        for (auto& e : parsed.errors) why += e.pointer + ": " + e.message + "; ";
        throw std::runtime_error("test config rejected: " + why);
    }
    runtime_ = std::make_unique<berth::host::runtime>(*parsed.value);
    runtime_->start();
    try {
        check_placement(config_["modules"], runtime_->modules(), ::getpid());
    } catch (...) {
        runtime_->stop();
        throw;
    }
}

test_host::~test_host() { runtime_->stop(); }

std::string test_host::admin_token() const {
    std::ifstream in(dir_.path() / "admin.token");
    std::string token;
    in >> token;
    if (token.empty()) throw std::runtime_error("no admin token in " + dir_.path().string());
    return token;
}

reply test_host::admin(const std::string& method, const std::string& target, const std::string& body) const {
    header_list headers{{"Authorization", "Bearer " + admin_token()}};
    if (method != "GET" && method != "HEAD") headers.emplace_back("Content-Type", "application/json");
    return http_request(admin_port(), method, target, body, headers);
}

std::uint16_t test_host::port(const std::string& plugin) const {
    auto p = runtime_->module_port(plugin);
    if (!p) throw std::runtime_error("plugin " + plugin + " has no port");
    return *p;
}

}  // namespace berth::test
