// Runs one of the independent checkers in tests/contracts/ (Debian's /usr/bin/python3, where
// python3-jsonschema and python3-msgpack are) and captures what it printed.
#pragma once

#include <cstdio>
#include <filesystem>
#include <stdexcept>
#include <string>
#include <sys/wait.h>
#include <vector>

namespace berth::test {

struct tool_run {
    int exit_code = -1;
    std::string output;  // stdout and stderr together
};

inline std::filesystem::path contracts_source_dir() { return std::filesystem::path(BERTH_SOURCE_DIR) / "tests" / "contracts"; }
inline std::filesystem::path contracts_output_dir() {
    std::filesystem::path out(BERTH_CONTRACTS_OUTPUT_DIR);
    std::filesystem::create_directories(out);
    return out;
}

// `script` (a file in tests/contracts/) with `args`; each argument is passed as one word.
inline tool_run run_python_tool(const std::string& script, const std::vector<std::string>& args) {
    auto quote = [](const std::string& s) {
        std::string q = "'";
        for (char c : s) q += c == '\'' ? std::string("'\\''") : std::string(1, c);
        return q + "'";
    };
    std::string command = "/usr/bin/python3 " + quote((contracts_source_dir() / script).string());
    for (auto& a : args) command += " " + quote(a);
    command += " 2>&1";
    FILE* p = popen(command.c_str(), "r");
    if (!p) throw std::runtime_error("cannot start " + script);
    tool_run run;
    char buf[4096];
    for (std::size_t n; (n = std::fread(buf, 1, sizeof buf, p)) > 0;) run.output.append(buf, n);
    const int status = pclose(p);
    run.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    return run;
}

}  // namespace berth::test
