// The operator's API on its own listener: health and the state of every module.
#pragma once

#include "http/route_table.hpp"
#include "net/http_service.hpp"

#include <memory>
#include <vector>

namespace berth::host::plugin {
class module;
}

namespace berth::host::admin {

class admin_api : public net::http_service {
public:
    explicit admin_api(std::vector<std::shared_ptr<plugin::module>> modules);

    // Answers inline: every route here reads host state only, under short locks.
    void handle(http::request request, completion done) override;

private:
    http::response serve(const http::request& request);
    enum route_id : std::size_t { health, list_plugins, show_plugin };
    http::route_table routes_;
    std::vector<std::shared_ptr<plugin::module>> modules_;
};

}  // namespace berth::host::admin
