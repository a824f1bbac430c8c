// Runs the real berthctl binary as an operator would: argv, an environment, stdout, stderr, exit code.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <utility>
#include <vector>

namespace berth::test {

struct ctl_result {
    int exit_code = -1;  // -1: killed by a signal
    std::string out, err;
};

// `env` is the whole environment (PATH is added): the test's own BERTH_* variables never leak in.
// `cwd`: the directory it runs in (empty: the test's own).
ctl_result run_berthctl(const std::vector<std::string>& args,
                        const std::vector<std::pair<std::string, std::string>>& env = {}, const std::string& cwd = {});

// berthctl pointed at a host's admin API on 127.0.0.1:`admin_port` with the token file in
// `data_dir`, as an operator of that host would run it; `args` come after the global options.
ctl_result run_berthctl_against(std::uint16_t admin_port, const std::filesystem::path& data_dir,
                                const std::vector<std::string>& args,
                                const std::vector<std::pair<std::string, std::string>>& env = {});

}  // namespace berth::test
