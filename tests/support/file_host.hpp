// A real host started from a config file on disk, as berthd starts one: what a live reload
// reads again. The file can be rewritten between reloads; modules on port 0 (ephemeral).
#pragma once

#include <berth/host/runtime.hpp>

#include "support/free_port.hpp"
#include "support/http_client.hpp"
#include "support/test_host.hpp"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <fstream>
#include <memory>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

namespace berth::test {

class file_host {
public:
    // `modules`: the "modules" object of the file.
    explicit file_host(nlohmann::json modules, nlohmann::json top = nlohmann::json::object()) {
        config_ = {{"admin", {{"address", "127.0.0.1"}, {"port", 0}}},
                   {"data_dir", (dir_.path() / "var").string()},
                   {"threads", {{"io", 2}, {"workers", 4}}},
                   {"shutdown_grace_ms", 2000},
                   {"drain_timeout_ms", 2000},
                   {"modules", std::move(modules)}};
        config_.merge_patch(top);
        write();
        auto loaded = berth::host::load_config(file());
        if (!loaded.value) throw std::runtime_error("test config rejected: " + loaded.errors.front().message);
        runtime_ = std::make_unique<berth::host::runtime>(*loaded.value);
        runtime_->start();
    }
    ~file_host() { runtime_->stop(); }

    berth::host::runtime& runtime() { return *runtime_; }
    std::filesystem::path file() const { return dir_.path() / "berth.json"; }
    std::filesystem::path data_dir() const { return dir_.path() / "var"; }
    nlohmann::json& config() { return config_; }
    void write() const {
        std::ofstream out(file());
        out << config_.dump(2);
    }
    std::uint16_t port(const std::string& module) const {
        auto p = runtime_->module_port(module);
        if (!p) throw std::runtime_error("module " + module + " has no port");
        return *p;
    }
    std::string admin_token() const {
        std::ifstream in(data_dir() / "admin.token");
        std::string token;
        in >> token;
        return token;
    }
    reply admin(const std::string& method, const std::string& target, const std::string& body = {}) const {
        header_list headers{{"Authorization", "Bearer " + admin_token()}};
        if (method != "GET" && method != "HEAD") headers.emplace_back("Content-Type", "application/json");
        return http_request(runtime_->admin_port(), method, target, body, headers);
    }
    // The audit log, one JSON object a line.
    std::vector<nlohmann::json> audit() const {
        std::ifstream in(data_dir() / "audit.log");
        std::vector<nlohmann::json> out;
        for (std::string line; std::getline(in, line);) out.push_back(nlohmann::json::parse(line));
        return out;
    }
    // Names of the files under data_dir (recursively), to see that nothing was left behind.
    std::vector<std::string> files() const {
        std::vector<std::string> out;
        for (auto& e : std::filesystem::recursive_directory_iterator(data_dir()))
            if (e.is_regular_file()) out.push_back(std::filesystem::relative(e.path(), data_dir()).string());
        std::sort(out.begin(), out.end());
        return out;
    }

private:
    temp_dir dir_;
    nlohmann::json config_;
    std::unique_ptr<berth::host::runtime> runtime_;
};

inline nlohmann::json module_entry(const std::filesystem::path& library, nlohmann::json more = nlohmann::json::object()) {
    nlohmann::json e = {{"library", library.string()}, {"address", "127.0.0.1"}, {"port", 0}};
    e.merge_patch(more);
    return e;
}

}  // namespace berth::test
