// The host configuration: what config/berth.json says, validated and resolved. The defaults
// below are the only statement of each key's default; config/berth.schema.json repeats them
// as `default`s for editors, and a test holds the two together.
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace berth::host {

// Per-listener protocol limits (config "limits", top level as defaults, per module as overrides).
struct limits_config {
    std::size_t header_limit_bytes = 8 * 1024;
    std::size_t body_limit_bytes = 1024 * 1024;
    std::uint32_t read_timeout_ms = 30'000;     // a whole request, and idle keep-alive time
    std::uint32_t write_timeout_ms = 30'000;    // a whole response
    std::uint32_t handler_timeout_ms = 30'000;  // past this the client gets 503 and the connection closes
    std::size_t max_connections = 1024;         // further connections are closed at accept
    std::size_t max_connections_per_peer = 256; // per client address, on this listener
    // Module listeners only: handlers running at once (the module's own worker threads;
    // default: threads.workers) and requests waiting for one. Past both, 503 + Retry-After.
    unsigned max_in_flight = 0;  // 0: threads.workers
    std::size_t max_queue = 64;
};

// Which browser origins may call a module (config "cors"); the host answers their preflights.
struct cors_config {
    std::vector<std::string> allowed_origins;  // exact "scheme://host[:port]"; empty: none
};

// Where a module's plugin code runs (config "isolation"): in berthd's own process, or in a
// worker process of its own per generation (docs/operations.md "Process isolation").
enum class isolation { in_process, process };
const char* to_string(isolation i);  // "in-process", "process"

// A module's worker process (config "process", per module; read when isolation is "process").
struct worker_config {
    std::uint32_t memory_limit_mb = 0;     // RLIMIT_AS of the worker; 0: no limit
    std::uint32_t max_open_files = 1024;   // RLIMIT_NOFILE of the worker
    std::string user;                      // run as this user when berthd runs as root; empty: berthd's
    std::uint32_t max_restarts = 5;        // restarts allowed within restart_window_ms ...
    std::uint32_t restart_window_ms = 60'000;  // ... past them the module is failed until a swap
    std::uint32_t heartbeat_interval_ms = 1'000;
    std::uint32_t heartbeat_timeout_ms = 5'000;  // a ping unanswered this long: killed, restarted
    std::uint32_t stop_timeout_ms = 2'000;       // SIGTERM to SIGKILL when a worker is stopped
};

struct module_config {
    std::string name;                // the key under "modules"
    std::filesystem::path library;   // absolute
    std::string address = "127.0.0.1";
    std::uint16_t port = 0;          // 0: ephemeral
    std::string database;            // SOCI connection string
    limits_config limits;
    std::string settings_json = "{}";  // handed to the plugin verbatim
    bool watch = true;               // reload when the library file is replaced
    std::string plugin;              // the plugin name the library must declare; empty: whatever
                                     // the first generation declared (a module keeps its identity)
    bool check_responses = false;    // from the top-level contracts.check_responses
    cors_config cors;
    enum isolation isolation = isolation::in_process;
    worker_config process;
};

// Which library files a module may load (config "deploy"); checked on every load.
struct deploy_config {
    // Absolute; a library must resolve (realpath) inside one of them. Empty: the directories
    // of the configured libraries (the runtime works that out at start).
    std::vector<std::filesystem::path> allowed_dirs;
    std::uint64_t max_library_bytes = 256ull * 1024 * 1024;
    // Bounds on what a config file or POST /modules may ask of the machine: modules served at
    // once, and their handler threads together (each module's limits.max_in_flight).
    std::uint32_t max_modules = 64;
    std::uint32_t max_handler_threads = 2048;
};

// Token signing and verification (config "auth").
struct auth_config {
    std::filesystem::path secret_file;  // absolute; hex key, created with mode 0600 if absent; empty: data_dir/token.key
    std::string issuer = "berth";
    std::uint32_t token_ttl_s = 3600;
};

// How strictly modules are held to their declared contracts (config "contracts").
struct contracts_config {
    // A handler's answer that does not match the responses its route declared becomes a 500
    // problem, and the log names the route, the status and the JSON pointer. Costs a
    // validation per answer: on in tests and staging, a choice in production.
    bool check_responses = false;
};

// One log file, rotated by size (config "logging.file", "logging.access.file", "logging.events.file").
struct log_file_config {
    std::filesystem::path path;  // absolute; empty: <data_dir>/logs/<berthd|access|events>.log
    std::uint64_t max_bytes = 10ull * 1024 * 1024;  // past this the file is renamed .1 and a new one begun
    std::uint32_t max_files = 5;                    // rotated files kept besides the current one
};

// The access log and the event log: on or off, and where (config "logging.access", "logging.events").
struct log_stream_config {
    bool enabled = true;
    std::string destination = "stderr";  // "stderr" or "file"
    log_file_config file;
};

// The host's logs (config "logging"): the host log (spdlog's default logger, set by berthd),
// the access log (one line per answered request on a module port) and the event log (loads,
// swaps, drains, unloads, refusals, admin calls). JSON lines unless format is "text".
struct logging_config {
    std::string level = "info";  // trace, debug, info, warn, error, critical, off (berthd --log-level wins)
    std::string format = "json";  // "json" (one object per line) or "text"
    std::string destination = "stderr";  // "stderr" or "file"
    log_file_config file;
    log_stream_config access{false, "stderr", {}};
    log_stream_config events;
};

struct config {
    std::string admin_address = "127.0.0.1";
    std::uint16_t admin_port = 8080;
    // The admin API's bearer token: 32 random bytes as hex, created 0600 at first start.
    std::filesystem::path admin_token_file;        // absolute; empty: <data_dir>/admin.token
    std::vector<std::string> admin_allowed_hosts;  // Host values accepted besides loopback names
    std::filesystem::path data_dir = "var";  // parse_config resolves it against the file's directory
    unsigned io_threads = 1;
    unsigned worker_threads = 4;  // default limits.max_in_flight: each module's own handler threads
    std::uint32_t shutdown_grace_ms = 10'000;
    std::uint32_t drain_timeout_ms = 30'000;   // old generation's time to finish after a swap
    std::uint32_t ready_timeout_ms = 10'000;   // new generation's time to report ready
    std::uint32_t watch_debounce_ms = 200;     // quiet time after a file change before reloading
    std::uint32_t watch_poll_interval_ms = 2'000;  // fallback rescan period
    limits_config admin_limits;
    // Swagger UI's files for /docs (config "docs.assets_dir"); empty: the runtime looks in
    // <directory of the executable>/../share/berth/swagger-ui.
    std::filesystem::path docs_assets_dir;
    auth_config auth;
    deploy_config deploy;
    contracts_config contracts;
    logging_config logging;
    // The worker program for modules with isolation "process"; empty: berth-worker beside the
    // running executable, else ../libexec/berth/berth-worker from it (the runtime resolves it).
    std::filesystem::path worker_executable;
    std::vector<module_config> modules;
    // The file this was read from (load_config sets it): what a live reload reads again.
    std::filesystem::path source_file;
};

// One thing wrong with a config: where (a JSON pointer into the file) and why.
struct config_error {
    std::string pointer;
    std::string message;
};

struct config_result {
    std::optional<config> value;       // set when errors is empty
    std::vector<config_error> errors;
    std::string modules_key = "modules";  // as the file spells it: "plugins" is its old name
};

// Validates a whole config document against config/berth.schema.json and the rules a schema
// cannot say (port clashes); relative paths resolve against base_dir. Nothing is applied.
config_result parse_config(std::string_view json_text, const std::filesystem::path& base_dir);

// Reads and parses a file; relative paths inside resolve against the file's directory.
config_result load_config(const std::filesystem::path& file);

// What can be checked of a valid config without starting anything (berthd --check-config):
// each module's library read as the loader reads it (deploy.allowed_dirs, owner, mode, size,
// the ELF magic) and whether data_dir can be created. Nothing is created or loaded. Pointers use
// `modules_key` as the file spells it (config_result::modules_key).
std::vector<config_error> check_files(const config& c, std::string_view modules_key = "modules");

// The JSON Schema the config is checked against (embedded at build time).
std::string_view config_schema();

}  // namespace berth::host
