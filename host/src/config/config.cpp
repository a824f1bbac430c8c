#include <berth/host/config.hpp>

#include "config/config_keys.hpp"
#include "config/config_process.hpp"
#include "contract/json_schema.hpp"
#include "pipeline/cors.hpp"

#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <fstream>
#include <functional>
#include <map>
#include <set>
#include <sstream>

namespace berth::host {

namespace fs = std::filesystem;
using json = nlohmann::json;

namespace {

// The object that lists the modules, by module name. Its one spelling: an alias is one more
// name here.
constexpr const char* modules_key = "modules";
// The key's name before the glossary settled on "module" for the served unit: still read, so
// that a config written then keeps working; a warning says to rename it.
constexpr const char* legacy_modules_key = "plugins";

const contract::json_schema& compiled_schema() {
    static const auto schema = contract::json_schema::compile(json::parse(config_schema()));
    return *schema;
}

fs::path resolve(const fs::path& base, const fs::path& p) {
    return (p.is_absolute() ? p : base / p).lexically_normal();
}

using config_table::key;
using config_table::plain;

// A path, or a list of them: relative ones resolve against the config file's directory.
template <class S, class F>
key<S> path(const char* at, F member, bool documented = false) {
    return {json::json_pointer(at),
            [member](S& s, const json& j, const fs::path& base) {
                if constexpr (std::is_same_v<std::remove_cvref_t<decltype(member(s))>, fs::path>) {
                    member(s) = resolve(base, j.get<std::string>());
                } else {
                    for (auto& p : j) member(s).push_back(resolve(base, p.get<std::string>()));
                }
            },
            [member](const S& s) { return json(member(s)); }, documented};
}

const std::vector<key<config>>& top_keys() {
    static const std::vector<key<config>> keys = {
        plain<config>("/admin/address", BERTH_MEMBER(admin_address)),
        plain<config>("/admin/port", BERTH_MEMBER(admin_port)),
        path<config>("/admin/token_file", BERTH_MEMBER(admin_token_file)),  // <data_dir>/admin.token
        plain<config>("/admin/allowed_hosts", BERTH_MEMBER(admin_allowed_hosts)),
        path<config>("/data_dir", BERTH_MEMBER(data_dir), true),
        plain<config>("/threads/io", BERTH_MEMBER(io_threads)),
        plain<config>("/threads/workers", BERTH_MEMBER(worker_threads)),
        plain<config>("/shutdown_grace_ms", BERTH_MEMBER(shutdown_grace_ms)),
        plain<config>("/drain_timeout_ms", BERTH_MEMBER(drain_timeout_ms)),
        plain<config>("/ready_timeout_ms", BERTH_MEMBER(ready_timeout_ms)),
        plain<config>("/watch/debounce_ms", BERTH_MEMBER(watch_debounce_ms)),
        plain<config>("/watch/poll_interval_ms", BERTH_MEMBER(watch_poll_interval_ms)),
        path<config>("/auth/secret_file", BERTH_MEMBER(auth.secret_file)),  // <data_dir>/token.key
        plain<config>("/auth/issuer", BERTH_MEMBER(auth.issuer)),
        plain<config>("/auth/token_ttl_s", BERTH_MEMBER(auth.token_ttl_s)),
        path<config>("/deploy/allowed_dirs", BERTH_MEMBER(deploy.allowed_dirs)),  // the libraries' directories
        plain<config>("/deploy/max_library_bytes", BERTH_MEMBER(deploy.max_library_bytes)),
        plain<config>("/deploy/max_modules", BERTH_MEMBER(deploy.max_modules)),
        plain<config>("/deploy/max_handler_threads", BERTH_MEMBER(deploy.max_handler_threads)),
        path<config>("/docs/assets_dir", BERTH_MEMBER(docs_assets_dir)),  // <executable>/../share/berth/swagger-ui
        plain<config>("/contracts/check_responses", BERTH_MEMBER(contracts.check_responses)),
        plain<config>("/logging/level", BERTH_MEMBER(logging.level)),
        plain<config>("/logging/format", BERTH_MEMBER(logging.format)),
        plain<config>("/logging/destination", BERTH_MEMBER(logging.destination)),
        path<config>("/logging/file/path", BERTH_MEMBER(logging.file.path)),  // <data_dir>/logs/berthd.log
        plain<config>("/logging/file/max_bytes", BERTH_MEMBER(logging.file.max_bytes)),
        plain<config>("/logging/file/max_files", BERTH_MEMBER(logging.file.max_files)),
        plain<config>("/logging/access/enabled", BERTH_MEMBER(logging.access.enabled)),
        plain<config>("/logging/access/destination", BERTH_MEMBER(logging.access.destination)),
        path<config>("/logging/access/file/path", BERTH_MEMBER(logging.access.file.path)),  // <data_dir>/logs/access.log
        plain<config>("/logging/access/file/max_bytes", BERTH_MEMBER(logging.access.file.max_bytes)),
        plain<config>("/logging/access/file/max_files", BERTH_MEMBER(logging.access.file.max_files)),
        plain<config>("/logging/events/enabled", BERTH_MEMBER(logging.events.enabled)),
        plain<config>("/logging/events/destination", BERTH_MEMBER(logging.events.destination)),
        path<config>("/logging/events/file/path", BERTH_MEMBER(logging.events.file.path)),  // <data_dir>/logs/events.log
        plain<config>("/logging/events/file/max_bytes", BERTH_MEMBER(logging.events.file.max_bytes)),
        plain<config>("/logging/events/file/max_files", BERTH_MEMBER(logging.events.file.max_files)),
        path<config>("/worker_executable", BERTH_MEMBER(worker_executable)),  // berth-worker beside berthd
    };
    return keys;
}

const std::vector<key<limits_config>>& limit_keys() {
    static const std::vector<key<limits_config>> keys = {
        plain<limits_config>("/header_limit_bytes", BERTH_MEMBER(header_limit_bytes)),
        plain<limits_config>("/body_limit_bytes", BERTH_MEMBER(body_limit_bytes)),
        plain<limits_config>("/read_timeout_ms", BERTH_MEMBER(read_timeout_ms)),
        plain<limits_config>("/write_timeout_ms", BERTH_MEMBER(write_timeout_ms)),
        plain<limits_config>("/handler_timeout_ms", BERTH_MEMBER(handler_timeout_ms)),
        plain<limits_config>("/max_connections", BERTH_MEMBER(max_connections)),
        plain<limits_config>("/max_connections_per_peer", BERTH_MEMBER(max_connections_per_peer)),
        plain<limits_config>("/max_in_flight", BERTH_MEMBER(max_in_flight), false),  // threads.workers
        plain<limits_config>("/max_queue", BERTH_MEMBER(max_queue)),
    };
    return keys;
}

// A module's own keys; its limits start from the top-level ones, its database from data_dir.
const std::vector<key<module_config>>& module_keys() {
    static const std::vector<key<module_config>> keys = [] {
        std::vector<key<module_config>> own = {
            path<module_config>("/library", BERTH_MEMBER(library)),  // required
            plain<module_config>("/plugin", BERTH_MEMBER(plugin), false),  // whatever the first generation declared
            plain<module_config>("/address", BERTH_MEMBER(address)),
            plain<module_config>("/port", BERTH_MEMBER(port), false),  // required
            plain<module_config>("/database", BERTH_MEMBER(database), false),  // sqlite3://db=<data_dir>/<name>.db
            {json::json_pointer("/settings"),
             [](module_config& p, const json& j, const fs::path&) { p.settings_json = j.dump(); },
             [](const module_config& p) { return json::parse(p.settings_json); }, true},
            plain<module_config>("/watch", BERTH_MEMBER(watch)),
            plain<module_config>("/cors/allowed_origins", BERTH_MEMBER(cors.allowed_origins)),
        };
        const auto& process = config_table::process_keys();
        own.insert(own.end(), process.begin(), process.end());
        return own;
    }();
    return keys;
}

#undef BERTH_MEMBER

template <class S>
void read_keys(const std::vector<key<S>>& keys, S& into, const json& object, const fs::path& base) {
    for (auto& k : keys)
        if (object.contains(k.at)) k.read(into, object.at(k.at), base);
}

template <class S>
void show_keys(const std::vector<key<S>>& keys, const S& from, json& out, const std::string& under, bool documented_only) {
    for (auto& k : keys)
        if (!documented_only || k.documented) out[json::json_pointer(under + k.at.to_string())] = k.show(from);
}

limits_config read_limits(const json& object, limits_config from) {
    if (object.is_object()) read_keys(limit_keys(), from, object, {});
    return from;
}

// ^[a-z][a-z0-9_-]{0,31}$, without a regex engine.
bool is_module_name(const std::string& n) {
    if (n.empty() || n.size() > 32 || n[0] < 'a' || n[0] > 'z') return false;
    for (char ch : n)
        if (!((ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') || ch == '_' || ch == '-')) return false;
    return true;
}

bool is_wildcard(const std::string& a) { return a == "0.0.0.0" || a == "::" || a == "[::]"; }

bool addresses_overlap(const std::string& a, const std::string& b) {
    return a == b || is_wildcard(a) || is_wildcard(b) || (a == "localhost" && b == "127.0.0.1") ||
           (a == "127.0.0.1" && b == "localhost");
}

// The file a SQLite connection string opens ("sqlite3://db=/x.db timeout=5", "sqlite3://dbname='/x y.db'",
// "sqlite3:///x.db"), absolute, links resolved as far as they exist; empty for another backend
// or an in-memory database. Two modules on one file would read and write each other's tables.
fs::path sqlite_file_of(const std::string& database) {
    std::string_view rest = database;
    bool found = false;
    for (std::string_view scheme : {"sqlite3://", "sqlite://"})
        if (rest.rfind(scheme, 0) == 0) {
            rest.remove_prefix(scheme.size());
            found = true;
            break;
        }
    if (!found) return {};
    std::string file;
    if (rest.find('=') == std::string_view::npos) {
        file = std::string(rest);  // the whole string names the file
    } else {
        while (!rest.empty()) {
            while (!rest.empty() && rest.front() == ' ') rest.remove_prefix(1);
            const auto eq = rest.find('=');
            if (eq == std::string_view::npos) break;
            const auto name = rest.substr(0, eq);
            rest.remove_prefix(eq + 1);
            std::string value;
            if (!rest.empty() && (rest.front() == '"' || rest.front() == '\'')) {
                const char quote = rest.front();
                const auto end = rest.find(quote, 1);
                value = std::string(rest.substr(1, end == std::string_view::npos ? std::string_view::npos : end - 1));
                rest.remove_prefix(end == std::string_view::npos ? rest.size() : end + 1);
            } else {
                const auto end = rest.find(' ');
                value = std::string(rest.substr(0, end));
                rest.remove_prefix(end == std::string_view::npos ? rest.size() : end);
            }
            if (name == "db" || name == "dbname") file = value;
        }
    }
    if (file.rfind("file:", 0) == 0) file = file.substr(5, file.find('?') - 5);  // a URI: its path
    if (file.empty() || file == ":memory:") return {};
    std::error_code ec;
    auto absolute = fs::absolute(fs::path(file), ec).lexically_normal();
    auto real = fs::weakly_canonical(absolute, ec);
    return ec ? absolute : real;
}

}  // namespace

config_result parse_config(std::string_view json_text, const fs::path& base_dir) {
    config_result out;
    json doc;
    try {
        doc = json::parse(json_text);
    } catch (const json::exception& e) {  // parse errors, and numbers out of range
        out.errors.push_back({"", std::string("not valid JSON: ") + e.what()});
        return out;
    }
    const std::string modules_at = std::string("/") + modules_key + "/";
    const bool legacy = doc.is_object() && doc.contains(legacy_modules_key);
    if (legacy) {
        if (doc.contains(modules_key)) {
            out.errors.push_back({std::string("/") + legacy_modules_key,
                                  "\"plugins\" is the old name of \"modules\": give the modules under one of them"});
            return out;
        }
        spdlog::warn("config: \"plugins\" is the old name of \"modules\"; rename the key");
        out.modules_key = legacy_modules_key;
        doc[modules_key] = std::move(doc[legacy_modules_key]);
        doc.erase(legacy_modules_key);
    }
    // Errors point into the file as written.
    auto in_file = [&](std::string pointer) {
        const std::string moved = std::string("/") + modules_key;
        if (legacy && pointer.rfind(moved, 0) == 0) pointer.replace(0, moved.size(), std::string("/") + legacy_modules_key);
        return pointer;
    };
    // Module names first: Valijson reports a propertyNames failure only as "modules failed".
    bool bad_names = false;
    if (auto p = doc.find(modules_key); p != doc.end() && p->is_object()) {
        for (auto& [name, _] : p->items()) {
            if (is_module_name(name)) continue;
            bad_names = true;
            out.errors.push_back({modules_at + contract::escape_pointer_token(name),
                                  "module name '" + name + "' must match ^[a-z][a-z0-9_-]{0,31}$"});
        }
    }
    const std::string names_failed =
        std::string("Failed to validate against schema associated with property name '") + modules_key + "'";
    for (auto& v : compiled_schema().validate(doc)) {
        if (bad_names && v.message.rfind(names_failed, 0) == 0) continue;
        out.errors.push_back({v.pointer, v.message});
    }
    auto finish = [&]() -> config_result& {
        for (auto& e : out.errors) e.pointer = in_file(std::move(e.pointer));
        return out;
    };
    if (!out.errors.empty()) return finish();

    config c;
    const fs::path base = fs::absolute(base_dir);
    read_keys(top_keys(), c, doc, base);
    c.data_dir = resolve(base, c.data_dir);
    if (c.auth.secret_file.empty()) c.auth.secret_file = c.data_dir / "token.key";
    for (auto [file, name] : {std::pair{&c.logging.file, "berthd.log"}, {&c.logging.access.file, "access.log"},
                              {&c.logging.events.file, "events.log"}})
        if (file->path.empty()) file->path = c.data_dir / "logs" / name;
    c.admin_limits = read_limits(doc.value("limits", json()), limits_config{});

    // Which listener first claimed each port, to name both sides of a clash.
    struct claim { std::string address; std::string pointer; };
    std::multimap<std::uint16_t, claim> claims;
    if (c.admin_port != 0) claims.emplace(c.admin_port, claim{c.admin_address, "/admin/port"});
    // Which module first named each SQLite file (its pointer), and which were already told.
    std::map<std::string, std::string> databases;
    std::set<std::string> flagged;

    if (doc.at(modules_key).size() > c.deploy.max_modules)
        out.errors.push_back({std::string("/") + modules_key, std::to_string(doc.at(modules_key).size()) +
                                                                  " modules, more than deploy.max_modules (" +
                                                                  std::to_string(c.deploy.max_modules) + ")"});
    std::uint64_t handler_threads = 0;
    for (auto& [name, p] : doc.at(modules_key).items()) {
        module_config pc;
        pc.name = name;
        const std::string at = modules_at + contract::escape_pointer_token(name);
        read_keys(module_keys(), pc, p, base);
        for (std::size_t i = 0; i < pc.cors.allowed_origins.size(); ++i)
            if (auto why = pipeline::origin_error(pc.cors.allowed_origins[i]))
                out.errors.push_back({at + "/cors/allowed_origins/" + std::to_string(i), *why});
        config_table::check_process(pc.process, at, out.errors);
        if (pc.database.empty()) pc.database = "sqlite3://db=" + (c.data_dir / (name + ".db")).string();
        pc.limits = read_limits(p.value("limits", json()), c.admin_limits);
        pc.check_responses = c.contracts.check_responses;
        if (pc.port != 0) {
            auto [lo, hi] = claims.equal_range(pc.port);
            for (auto it = lo; it != hi; ++it) {
                if (addresses_overlap(it->second.address, pc.address)) {
                    out.errors.push_back({at + "/port", "port " + std::to_string(pc.port) + " on " + pc.address +
                                                            " is already used by " + it->second.pointer});
                    break;
                }
            }
            claims.emplace(pc.port, claim{pc.address, at + "/port"});
        }
        handler_threads += pc.limits.max_in_flight ? pc.limits.max_in_flight : std::max(1u, c.worker_threads);
        if (handler_threads > c.deploy.max_handler_threads)
            out.errors.push_back({at + "/limits/max_in_flight",
                                  "the modules' handler threads come to " + std::to_string(handler_threads) +
                                      " here, more than deploy.max_handler_threads (" +
                                      std::to_string(c.deploy.max_handler_threads) + ")"});
        if (auto file = sqlite_file_of(pc.database); !file.empty()) {
            auto [first, fresh] = databases.try_emplace(file.string(), at + "/database");
            if (!fresh) {
                // Both sides: a module added through the API finds its own entry named.
                out.errors.push_back({at + "/database", "the database file is also " + first->second + "'s; "
                                                        "each module needs a database of its own"});
                if (flagged.insert(first->second).second)
                    out.errors.push_back({first->second, "the database file is also " + at + "/database's; "
                                                         "each module needs a database of its own"});
            }
        }
        c.modules.push_back(std::move(pc));
    }
    if (out.errors.empty()) out.value = std::move(c);
    return finish();
}

config_result load_config(const fs::path& file) {
    std::ifstream in(file, std::ios::binary);
    if (!in) return config_result{std::nullopt, {{"", "cannot read config file " + file.string()}}};
    std::ostringstream text;
    text << in.rdbuf();
    auto r = parse_config(text.str(), file.has_parent_path() ? file.parent_path() : fs::path("."));
    if (r.value) r.value->source_file = fs::absolute(file);
    return r;
}

json documented_defaults() {
    json out = json::object();
    show_keys(top_keys(), config{}, out, "", true);
    show_keys(limit_keys(), limits_config{}, out, "/limits", true);
    const std::string any_module = std::string("/") + modules_key + "/*";
    show_keys(module_keys(), module_config{}, out, any_module, true);
    show_keys(limit_keys(), limits_config{}, out, any_module + "/limits", true);
    return out;
}

json as_document(const config& c) {
    json out = json::object();
    show_keys(top_keys(), c, out, "", false);
    show_keys(limit_keys(), c.admin_limits, out, "/limits", false);
    for (auto& m : c.modules) {
        const std::string at = std::string("/") + modules_key + "/" + contract::escape_pointer_token(m.name);
        show_keys(module_keys(), m, out, at, false);
        show_keys(limit_keys(), m.limits, out, at + "/limits", false);
    }
    return out;
}

}  // namespace berth::host
