// A module added or removed while the host runs (POST /modules, DELETE /modules/{name}, and the
// add, remove and re-port steps of a config reload). Deploy thread only.
#include "runtime_impl.hpp"

#include "config/config_keys.hpp"
#include "contract/json_schema.hpp"
#include "ops/logging_events.hpp"
#include "plugin/module.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <filesystem>

namespace berth::host {

namespace fs = std::filesystem;

namespace {

// The file of a SQLite connection string ("sqlite3://db=/path/x.db ..."); empty for others.
fs::path sqlite_file(const std::string& database) {
    constexpr std::string_view prefix = "sqlite3://db=";
    if (database.rfind(prefix, 0) != 0) return {};
    auto rest = database.substr(prefix.size());
    return rest.substr(0, rest.find(' '));
}

// A database file (and SQLite's companions) a failed load created: nothing of it may be left.
void remove_created(const fs::path& db) {
    std::error_code ec;
    for (const char* suffix : {"", "-wal", "-shm", "-journal"}) fs::remove(db.string() + suffix, ec);
}

// as_document shows every key, unset ones too ("" for "none", max_in_flight 0 for "the
// default"): as a file would leave them out, so that the schema reads the document as the file.
void drop_unset(nlohmann::json& j) {
    if (!j.is_object()) return;
    for (auto it = j.begin(); it != j.end();) {
        const bool unset = (it->is_string() && it->get_ref<const std::string&>().empty()) ||
                           (it.key() == "max_in_flight" && *it == 0);
        if (unset) {
            it = j.erase(it);
            continue;
        }
        if (it.key() != "settings") drop_unset(*it);  // settings are the plugin's, verbatim
        ++it;
    }
}

}  // namespace

runtime::impl::opened_module runtime::impl::open_module(const module_config& pc) {
    opened_module o{std::make_shared<plugin::module>(pc, live.data_dir, swap.drain_timeout, &services), nullptr, {}};
    o.module->set_docs(docs);
    try {
        o.listener = server->listen(pc.name, pc.address, pc.port, pc.limits, o.module);
        o.module->set_endpoint(o.listener->address(), o.listener->port());
    } catch (const std::system_error& e) {
        o.listen_error = e.what();
    }
    return o;
}

std::variant<std::shared_ptr<plugin::module>, plugin::load_failure> runtime::impl::bring_up(const module_config& pc,
                                                                                           const std::string& trigger) {
    const auto db = sqlite_file(pc.database);
    std::error_code ec;
    const bool db_existed = db.empty() || fs::exists(db, ec);
    auto [m, l, listen_error] = open_module(pc);
    if (!l) return plugin::load_failure{"listen", listen_error};
    auto r = deployer->reload(*m, std::nullopt, trigger);
    if (r.outcome == plugin::swap_outcome::swapped) {
        listeners[pc.name] = std::move(l);
        return m;
    }
    // Nothing stays: the port, the handler threads, the generations (and their shadow copies), a new database.
    l->close_and_drain(std::chrono::milliseconds(0));
    m->stop_workers();
    m->unload_all();
    if (!db_existed) remove_created(db);
    if (r.failure) return *r.failure;
    return plugin::load_failure{"load", r.detail};
}

std::optional<plugin::load_failure> runtime::impl::add(const module_config& pc, const std::string& trigger) {
    auto up = bring_up(pc, trigger);
    if (auto* f = std::get_if<plugin::load_failure>(&up)) {
        spdlog::error("[{}] not added ({}): {}: {}", pc.name, trigger, f->step, f->message);
        return *f;
    }
    auto m = std::get<std::shared_ptr<plugin::module>>(std::move(up));
    spdlog::info("[{}] added ({}): serving on http://{}:{}", pc.name, trigger, m->snapshot().address, m->port());
    ops::emit(&services, "module_added", pc.name,
              {{"trigger", trigger}, {"port", m->port()}, {"library", pc.library.string()}});
    modules->add(std::move(m));
    deployer->rewatch();
    return std::nullopt;
}

admin::remove_result runtime::impl::remove(const std::string& name, const std::string& trigger) {
    auto m = modules->remove(name);  // from here no call or admin request finds it
    if (!m) return {404, false, "no module named '" + name + "' is configured"};
    deployer->rewatch();
    bool drained = true;
    if (auto it = listeners.find(name); it != listeners.end()) {
        drained = it->second->close_and_drain(swap.drain_timeout);
        listeners.erase(it);
    }
    m->stop_workers();
    auto reports = m->unload_all();
    const bool unloaded = std::all_of(reports.begin(), reports.end(), [](auto& r) { return r.unloaded; });
    std::string detail = "module '" + name + "' " + (drained ? "drained" : "cut off at its drain deadline") +
                         ", its port closed, " + (unloaded ? "its library unloaded" : "its library retained");
    spdlog::info("[{}] removed ({}): {}", name, trigger, detail);
    ops::emit(&services, "module_removed", name, {{"trigger", trigger}, {"unloaded", unloaded}, {"drained", drained}});
    return {200, unloaded, detail};
}

std::optional<plugin::load_failure> runtime::impl::re_port(const std::string& name, const std::string& address,
                                                           std::uint16_t port) {
    auto m = modules->find(name);
    if (!m) return plugin::load_failure{"listen", "no module named '" + name + "'"};
    std::shared_ptr<net::listener_handle> l;
    try {
        l = server->listen(name, address, port, m->config().limits, m);
    } catch (const std::system_error& e) {
        return plugin::load_failure{"listen", e.what()};
    }
    // The new port first: the module is never without one; then the old one drains.
    auto old = std::exchange(listeners[name], l);
    m->set_endpoint(l->address(), l->port());
    auto c = m->config();
    c.address = address;
    c.port = port;
    m->set_config(std::move(c));
    if (!m->active()) deployer->reload(*m, std::nullopt, "config reload");  // its port could not be bound at start
    if (old) old->close_and_drain(swap.drain_timeout);
    return std::nullopt;
}

void runtime::impl::add_module(nlohmann::json entry, std::function<void(admin::add_result)> done) {
    auto work = [this, entry = std::move(entry), done]() mutable {
        admin::add_result r;
        auto name_at = entry.find("name");
        if (name_at == entry.end() || !name_at->is_string()) {
            r.status = 400;
            r.detail = "the module entry is not valid";
            r.errors.push_back({"/name", name_at == entry.end() ? "required" : "must be a string"});
            return done(std::move(r));
        }
        const std::string name = *name_at;
        entry.erase("name");
        if (modules->find(name)) {
            r.status = 409;
            r.detail = "a module named '" + name + "' is already configured";
            return done(std::move(r));
        }
        if (modules->snapshot()->size() >= live.deploy.max_modules) {
            r.status = 409;
            r.detail = "the host serves " + std::to_string(live.deploy.max_modules) +
                       " modules already, its deploy.max_modules; remove one first";
            return done(std::move(r));
        }
        // The whole config with this entry added, checked as the file is: every rule applies.
        auto doc = as_document(live);
        drop_unset(doc);
        const std::string at = "/modules/" + contract::escape_pointer_token(name);
        doc["modules"][name] = std::move(entry);
        const auto base = live.source_file.empty() ? fs::current_path() : live.source_file.parent_path();
        auto parsed = parse_config(doc.dump(), base);
        if (!parsed.value) {
            r.status = 400;
            r.detail = "the module entry is not valid";
            // A clash names both sides; the running module's side is no news to the caller.
            const auto about_entry = [&](const config_error& e) { return e.pointer == at || e.pointer.rfind(at + "/", 0) == 0; };
            if (std::any_of(parsed.errors.begin(), parsed.errors.end(), about_entry))
                std::erase_if(parsed.errors, [&](const config_error& e) { return !about_entry(e); });
            for (auto& e : parsed.errors) {
                if (e.pointer == at) e.pointer = "/name";
                else if (e.pointer.rfind(at + "/", 0) == 0) e.pointer = e.pointer.substr(at.size());
                r.errors.push_back(std::move(e));
            }
            return done(std::move(r));
        }
        auto fresh = *parsed.value;
        fill_defaults(fresh);
        auto pc = *std::find_if(fresh.modules.begin(), fresh.modules.end(), [&](auto& m) { return m.name == name; });
        if (auto f = add(pc, "admin API")) {
            r.status = 422;
            r.step = f->step;
            r.detail = "module '" + name + "' was not added: " + f->step + ": " + f->message;
            return done(std::move(r));
        }
        live.modules.push_back(pc);
        r.status = 201;
        r.module = modules->find(name);
        done(std::move(r));
    };
    // Out of threads or memory (a module's handler threads are made as it is brought up): the
    // caller is answered all the same, never left waiting.
    auto task = [work = std::move(work), done]() mutable {
        try {
            work();
        } catch (const std::exception& e) {
            spdlog::error("adding a module failed: {}", e.what());
            done({503, {}, {}, "the host could not add the module now (out of threads or memory); see its log", nullptr});
        }
    };
    if (!deployer->post(std::move(task))) done({503, {}, {}, "the host is stopping", nullptr});
}

void runtime::impl::remove_module(std::string name, std::function<void(admin::remove_result)> done) {
    auto task = [this, name, done] {
        auto r = remove(name, "admin API");
        if (r.status == 200) std::erase_if(live.modules, [&](auto& m) { return m.name == name; });
        done(std::move(r));
    };
    if (!deployer->post(std::move(task))) done({503, false, "the host is stopping"});
}

}  // namespace berth::host
