#include <berth/host/config.hpp>

#include "contract/json_schema.hpp"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <fstream>
#include <map>
#include <sstream>

namespace berth::host {

namespace fs = std::filesystem;

namespace {


const contract::json_schema& compiled_schema() {
    static const auto schema = contract::json_schema::compile(nlohmann::json::parse(config_schema()));
    return *schema;
}

fs::path resolve(const fs::path& base, const std::string& p) {
    fs::path path(p);
    return (path.is_absolute() ? path : base / path).lexically_normal();
}

limits_config read_limits(const nlohmann::json& j, limits_config l) {
    if (!j.is_object()) return l;
    l.header_limit_bytes = j.value("header_limit_bytes", l.header_limit_bytes);
    l.body_limit_bytes = j.value("body_limit_bytes", l.body_limit_bytes);
    l.read_timeout_ms = j.value("read_timeout_ms", l.read_timeout_ms);
    l.write_timeout_ms = j.value("write_timeout_ms", l.write_timeout_ms);
    l.handler_timeout_ms = j.value("handler_timeout_ms", l.handler_timeout_ms);
    l.max_connections = j.value("max_connections", l.max_connections);
    l.max_connections_per_peer = j.value("max_connections_per_peer", l.max_connections_per_peer);
    l.max_in_flight = j.value("max_in_flight", l.max_in_flight);
    l.max_queue = j.value("max_queue", l.max_queue);
    return l;
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

}  // namespace

config_result parse_config(std::string_view json_text, const fs::path& base_dir) {
    config_result out;
    nlohmann::json doc;
    try {
        doc = nlohmann::json::parse(json_text);
    } catch (const nlohmann::json::exception& e) {  // parse errors, and numbers out of range
        out.errors.push_back({"", std::string("not valid JSON: ") + e.what()});
        return out;
    }
    // Module names first: Valijson reports a propertyNames failure only as "plugins failed".
    bool bad_names = false;
    if (auto p = doc.find("plugins"); p != doc.end() && p->is_object()) {
        for (auto& [name, _] : p->items()) {
            if (is_module_name(name)) continue;
            bad_names = true;
            out.errors.push_back({"/plugins/" + contract::escape_pointer_token(name),
                                  "module name '" + name + "' must match ^[a-z][a-z0-9_-]{0,31}$"});
        }
    }
    for (auto& v : compiled_schema().validate(doc)) {
        if (bad_names && v.message.rfind("Failed to validate against schema associated with property name 'plugins'", 0) == 0)
            continue;
        out.errors.push_back({v.pointer, v.message});
    }
    if (!out.errors.empty()) return out;

    config c;
    const fs::path base = fs::absolute(base_dir);
    if (auto a = doc.find("admin"); a != doc.end()) {
        c.admin_address = a->value("address", c.admin_address);
        c.admin_port = a->value("port", c.admin_port);
        if (a->contains("token_file")) c.admin_token_file = resolve(base, (*a)["token_file"].get<std::string>());
        for (auto& h : a->value("allowed_hosts", nlohmann::json::array())) c.admin_allowed_hosts.push_back(h.get<std::string>());
    }
    c.data_dir = resolve(base, doc.value("data_dir", std::string("var")));
    if (auto t = doc.find("threads"); t != doc.end()) {
        c.io_threads = t->value("io", c.io_threads);
        c.worker_threads = t->value("workers", c.worker_threads);
    }
    c.shutdown_grace_ms = doc.value("shutdown_grace_ms", c.shutdown_grace_ms);
    c.drain_timeout_ms = doc.value("drain_timeout_ms", c.drain_timeout_ms);
    c.ready_timeout_ms = doc.value("ready_timeout_ms", c.ready_timeout_ms);
    if (auto w = doc.find("watch"); w != doc.end()) {
        c.watch_debounce_ms = w->value("debounce_ms", c.watch_debounce_ms);
        c.watch_poll_interval_ms = w->value("poll_interval_ms", c.watch_poll_interval_ms);
    }
    c.auth.secret_file = c.data_dir / "token.key";
    if (auto a = doc.find("auth"); a != doc.end()) {
        if (a->contains("secret_file")) c.auth.secret_file = resolve(base, (*a)["secret_file"].get<std::string>());
        c.auth.issuer = a->value("issuer", c.auth.issuer);
        c.auth.token_ttl_s = a->value("token_ttl_s", c.auth.token_ttl_s);
    }
    limits_config defaults = read_limits(doc.value("limits", nlohmann::json()), limits_config{});
    c.admin_limits = defaults;
    if (auto d = doc.find("deploy"); d != doc.end()) {
        c.deploy.max_library_bytes = d->value("max_library_bytes", c.deploy.max_library_bytes);
        for (auto& dir : d->value("allowed_dirs", nlohmann::json::array()))
            c.deploy.allowed_dirs.push_back(resolve(base, dir.get<std::string>()));
    }

    // Which listener first claimed each port, to name both sides of a clash.
    struct claim { std::string address; std::string pointer; };
    std::multimap<std::uint16_t, claim> claims;
    if (c.admin_port != 0) claims.emplace(c.admin_port, claim{c.admin_address, "/admin/port"});

    for (auto& [name, p] : doc.at("plugins").items()) {
        plugin_config pc;
        pc.name = name;
        const std::string at = "/plugins/" + contract::escape_pointer_token(name);
        pc.library = resolve(base, p.at("library").get<std::string>());
        pc.address = p.value("address", pc.address);
        pc.port = p.at("port").get<std::uint16_t>();
        pc.database = p.value("database", "sqlite3://db=" + (c.data_dir / (name + ".db")).string());
        pc.limits = read_limits(p.value("limits", nlohmann::json()), defaults);
        pc.settings_json = p.value("settings", nlohmann::json::object()).dump();
        pc.watch = p.value("watch", true);
        pc.plugin = p.value("plugin", std::string());
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
        c.plugins.push_back(std::move(pc));
    }
    if (out.errors.empty()) out.value = std::move(c);
    return out;
}

config_result load_config(const fs::path& file) {
    std::ifstream in(file, std::ios::binary);
    if (!in) return config_result{std::nullopt, {{"", "cannot read config file " + file.string()}}};
    std::ostringstream text;
    text << in.rdbuf();
    return parse_config(text.str(), file.has_parent_path() ? file.parent_path() : fs::path("."));
}

}  // namespace berth::host
