// The operator's API on its own listener: health and the state of every module.
#pragma once

#include "http/route_table.hpp"
#include "net/http_service.hpp"

#include <functional>
#include <memory>
#include <vector>

namespace berth::host::plugin {
class module;
}

namespace berth::host::admin {

class admin_api : public net::http_service {
public:
    // Runs a task on the management thread; false when the host is stopping.
    using management = std::function<bool(std::function<void()>)>;

    admin_api(std::vector<std::shared_ptr<plugin::module>> modules, management post);

    // Reads answer inline (host state under short locks); reload and rollback run on the
    // management thread and answer when the swap has succeeded or failed.
    void handle(http::request request, completion done) override;

private:
    enum route_id : std::size_t { health, list_plugins, show_plugin, reload, rollback };
    std::shared_ptr<plugin::module> find(const std::string& name) const;
    management post_;
    http::route_table routes_;
    std::vector<std::shared_ptr<plugin::module>> modules_;
};

}  // namespace berth::host::admin
