// Where the tests place modules: BERTH_TEST_ISOLATION is "in-process" (the default, also when
// unset) or "process". tests/CMakeLists.txt runs the shop's suites a second time with it set to
// "process", so the same tests hold in both placements (docs/operations.md "Process isolation").
#pragma once

#include <berth/host/module_snapshot.hpp>

#include <nlohmann/json.hpp>

#include <sys/types.h>

#include <string>
#include <vector>

namespace berth::test {

// "in-process" or "process", from BERTH_TEST_ISOLATION; throws on any other value, so a typo
// in a ctest entry fails rather than quietly testing the default.
std::string test_isolation();

// Gives a module's config entry the run's placement, unless the entry chooses one itself.
void place_module(nlohmann::json& entry);

// When the tests run as root: a "process" module entry without a user gets "user": "root" (berthd
// refuses it otherwise, and the tests' files are root's). place_module does it; configs made
// elsewhere (a reload, a berthd config file) call it themselves.
void run_as_test_user(nlohmann::json& entry);

// In a process run, throws unless each module runs where its config entry (in `modules`, the
// config's "modules" object) puts it: a process run that served in-process would prove nothing.
// A "process" module must have loaded, and its worker serve in a process of its own (not
// `host_pid`). Outside a process run it checks nothing.
void check_placement(const nlohmann::json& modules, const std::vector<berth::host::module_snapshot>& snapshot,
                     pid_t host_pid);
// The same from the admin API's GET /modules answer (a host in another process: berthd_child).
void check_placement(const nlohmann::json& modules, const nlohmann::json& admin_modules, pid_t host_pid);

}  // namespace berth::test
