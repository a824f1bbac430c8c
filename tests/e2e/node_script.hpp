// Runs a script of tests/e2e with Node (its browser from browser.mjs): the npm tools and
// Chromium named by the build, and timeout(1) behind the script's own bound should node hang.
#pragma once

#include <sys/wait.h>

#include <cstdio>
#include <string>
#include <vector>

namespace berth::test {

// Exit status of `node tests/e2e/<script> <args...>` (-1 if it did not exit); `output` gets
// its stdout and stderr.
inline int run_node_script(const std::string& script, const std::vector<std::string>& args, std::string& output) {
    auto quoted = [](const std::string& s) { return "'" + s + "'"; };  // the arguments are URLs and build paths
    std::string command = "BERTH_NPM_DIR=" + quoted(BERTH_NPM_DIR) + " BERTH_CHROMIUM=" + quoted(BERTH_CHROMIUM) +
                          " timeout -k 5 120 " + quoted(BERTH_NODE) + " " + quoted(std::string(BERTH_E2E_DIR) + "/" + script);
    for (auto& a : args) command += " " + quoted(a);
    FILE* p = popen((command + " 2>&1").c_str(), "r");
    if (!p) return -1;
    char buf[4096];
    while (auto n = fread(buf, 1, sizeof buf, p)) output.append(buf, n);
    const int status = pclose(p);
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

}  // namespace berth::test
