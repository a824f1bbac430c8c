#include "config/config_process.hpp"

namespace berth::host {

const char* to_string(isolation i) { return i == isolation::process ? "process" : "in-process"; }

namespace config_table {

const std::vector<key<module_config>>& process_keys() {
    static const std::vector<key<module_config>> keys = {
        {nlohmann::json::json_pointer("/isolation"),
         [](module_config& m, const nlohmann::json& j, const std::filesystem::path&) {
             m.isolation = j.get<std::string>() == "process" ? isolation::process : isolation::in_process;
         },
         [](const module_config& m) { return nlohmann::json(to_string(m.isolation)); }, true},
        plain<module_config>("/process/memory_limit_mb", BERTH_MEMBER(process.memory_limit_mb)),
        plain<module_config>("/process/max_open_files", BERTH_MEMBER(process.max_open_files)),
        plain<module_config>("/process/user", BERTH_MEMBER(process.user), false),  // berthd's own
        plain<module_config>("/process/max_restarts", BERTH_MEMBER(process.max_restarts)),
        plain<module_config>("/process/restart_window_ms", BERTH_MEMBER(process.restart_window_ms)),
        plain<module_config>("/process/heartbeat_interval_ms", BERTH_MEMBER(process.heartbeat_interval_ms)),
        plain<module_config>("/process/heartbeat_timeout_ms", BERTH_MEMBER(process.heartbeat_timeout_ms)),
        plain<module_config>("/process/stop_timeout_ms", BERTH_MEMBER(process.stop_timeout_ms)),
    };
    return keys;
}

#undef BERTH_MEMBER

void check_process(const worker_config& w, const std::string& at, std::vector<config_error>& errors) {
    if (w.memory_limit_mb != 0 && w.memory_limit_mb < 16)
        errors.push_back({at + "/process/memory_limit_mb", "must be 0 (no limit) or at least 16"});
    if (w.heartbeat_timeout_ms <= w.heartbeat_interval_ms)
        errors.push_back({at + "/process/heartbeat_timeout_ms",
                          "must be more than heartbeat_interval_ms (" + std::to_string(w.heartbeat_interval_ms) + ")"});
}

}  // namespace config_table

}  // namespace berth::host
