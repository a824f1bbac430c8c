// Runs the real berthctl binary as an operator would: argv, an environment, stdout, stderr, exit code.
#pragma once

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

}  // namespace berth::test
