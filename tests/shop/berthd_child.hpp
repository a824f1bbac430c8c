// The real berthd binary as a child process, on a config and data dir the test owns, so it can
// be killed with SIGKILL and started again on the same data. The shipped plugins are deployed
// by copying them into <dir>/plugins.
#pragma once

#include "support/http_client.hpp"

#include <nlohmann/json.hpp>

#include <sys/types.h>

#include <cstdint>
#include <filesystem>
#include <map>
#include <string>

namespace berth::test {

class berthd_child {
public:
    // `settings`: {"<module>": {...}} for the four shop modules.
    berthd_child(const std::filesystem::path& dir, const nlohmann::json& settings);
    ~berthd_child();  // SIGKILL if still running

    void start();  // returns once all four modules serve (or throws after 20 s)
    void kill9();  // SIGKILL and reap
    void stop();   // SIGTERM and reap
    bool running() const { return pid_ > 0; }
    pid_t pid() const { return pid_; }
    // After stop() or kill9(): the wait status of the last run (WIFEXITED, WEXITSTATUS).
    int wait_status() const { return status_; }

    std::uint16_t port(const std::string& module) const { return ports_.at(module); }
    // A token minted by the operator on the admin API (POST /tokens, with <data_dir>/admin.token).
    std::string mint_token(const std::string& subject, const std::string& scope) const;
    std::filesystem::path data_dir() const { return dir_ / "var"; }
    std::filesystem::path db(const std::string& module) const { return data_dir() / (module + ".db"); }

private:
    void reap();
    void check_placement();  // throws unless the modules run where BERTH_TEST_ISOLATION puts them
    std::filesystem::path dir_;
    std::map<std::string, std::uint16_t> ports_;
    pid_t pid_ = -1;
    int status_ = 0;
};

}  // namespace berth::test
