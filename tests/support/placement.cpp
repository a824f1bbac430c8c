#include "support/placement.hpp"

#include <unistd.h>

#include <cstdlib>
#include <stdexcept>

namespace berth::test {
namespace {

std::string wanted(const nlohmann::json& modules, const std::string& name) {
    if (!modules.contains(name)) throw std::runtime_error("placement: no config entry for module " + name);
    return modules[name].value("isolation", std::string("in-process"));
}

// One module's active generation as {isolation, pid, state}: the same check for both sources.
void check_one(const std::string& name, const std::string& want, const std::string& isolation, int pid,
               const std::string& state, pid_t host_pid) {
    const std::string where = "placement: module " + name + " ";
    if (isolation != want) throw std::runtime_error(where + "runs " + isolation + ", the config says " + want);
    if (want != "process") return;
    if (pid <= 0 || pid == host_pid)
        throw std::runtime_error(where + "has no worker process of its own (pid " + std::to_string(pid) + ")");
    if (state != "serving") throw std::runtime_error(where + "worker is " + state + ", not serving");
}

}  // namespace

std::string test_isolation() {
    const char* v = std::getenv("BERTH_TEST_ISOLATION");
    const std::string value = v ? v : "";
    if (value.empty() || value == "in-process") return "in-process";
    if (value == "process") return value;
    throw std::runtime_error("BERTH_TEST_ISOLATION is \"" + value + "\"; it takes in-process or process");
}

void place_module(nlohmann::json& entry) {
    const auto isolation = test_isolation();
    if (isolation != "in-process" && !entry.contains("isolation")) entry["isolation"] = isolation;
    run_as_test_user(entry);
}

void run_as_test_user(nlohmann::json& entry) {
    // As root berthd refuses a process module without a user; the tests' data is root's.
    if (::geteuid() != 0 || entry.value("isolation", std::string()) != "process") return;
    if (!entry.contains("process") || !entry["process"].is_object()) entry["process"] = nlohmann::json::object();
    if (!entry["process"].contains("user")) entry["process"]["user"] = "root";
}

void check_placement(const nlohmann::json& modules, const std::vector<berth::host::module_snapshot>& snapshot,
                     pid_t host_pid) {
    if (test_isolation() != "process") return;  // tests that place modules themselves check what they mean
    for (const auto& m : snapshot) {
        // A module that did not load: a process run must not pass on modules that never started a worker.
        if (!m.active && wanted(modules, m.name) == "process")
            throw std::runtime_error("placement: module " + m.name + " did not load: " +
                                     (m.last_error ? m.last_error->step + ": " + m.last_error->message : "no reason given"));
        if (!m.active) continue;
        const auto& g = *m.active;
        check_one(m.name, wanted(modules, m.name), g.isolation, g.worker ? g.worker->pid : 0,
                  g.worker ? g.worker->state : "", host_pid);
    }
}

void check_placement(const nlohmann::json& modules, const nlohmann::json& admin_modules, pid_t host_pid) {
    if (test_isolation() != "process") return;
    const auto& list = admin_modules.is_object() && admin_modules.contains("modules") ? admin_modules["modules"]
                                                                                         : admin_modules;
    if (!list.is_array()) throw std::runtime_error("placement: GET /modules is not a list: " + admin_modules.dump());
    for (const auto& m : list) {
        const auto& g = m.value("active", nlohmann::json());
        const auto name = m.value("name", std::string());
        if (!g.is_object() && wanted(modules, name) == "process")
            throw std::runtime_error("placement: module " + name + " did not load: " + m.value("last_error", nlohmann::json()).dump());
        if (!g.is_object()) continue;
        const auto worker = g.value("worker", nlohmann::json::object());
        check_one(m.value("name", std::string()), wanted(modules, m.value("name", std::string())),
                  g.value("isolation", std::string("(none given)")), worker.is_object() ? worker.value("pid", 0) : 0,
                  worker.is_object() ? worker.value("state", std::string()) : "", host_pid);
    }
}

}  // namespace berth::test
