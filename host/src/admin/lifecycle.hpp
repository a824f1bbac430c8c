// What the admin API asks of the runtime to change the set of modules: add one, remove one,
// reload the config file. The runtime implements it; every call runs on the deploy thread and
// answers through `done` there, so the admin API's own thread never waits for a drain or a load.
#pragma once

#include <berth/host/config.hpp>
#include <berth/host/runtime.hpp>

#include <nlohmann/json.hpp>

#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace berth::host::plugin {
class module;
}

namespace berth::host::admin {

struct add_result {
    int status = 0;  // 201 added; 400 invalid; 409 name taken; 422 could not listen or load; 503 stopping
    std::vector<config_error> errors;  // 400: pointers into the request body
    std::string step, detail;          // 422: the step that failed and why
    std::shared_ptr<plugin::module> module;  // 201
};

struct remove_result {
    int status = 0;  // 200 removed; 404 unknown; 503 stopping
    bool unloaded = false;  // every library of the module left the address space
    std::string detail;
};

class lifecycle {
public:
    virtual ~lifecycle() = default;
    // `entry`: the request body, a module entry as under "modules" in the config file plus its "name".
    virtual void add_module(nlohmann::json entry, std::function<void(add_result)> done) = 0;
    virtual void remove_module(std::string name, std::function<void(remove_result)> done) = 0;
    // report.busy: another reload was running and nothing was read.
    virtual void reload_config(bool dry_run, std::function<void(reload_report)> done) = 0;
};

}  // namespace berth::host::admin
