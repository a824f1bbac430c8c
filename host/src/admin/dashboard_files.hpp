// The dashboard's static files (host/dashboard/), compiled into the host by the build
// (host/cmake/embed_files.cmake): served from memory, so no request ever reaches the disk.
#pragma once

#include <string_view>
#include <vector>

namespace berth::host::admin {

struct dashboard_file {
    std::string_view name;  // "index.html", "app.js", "app.css"
    std::string_view body;
};

const std::vector<dashboard_file>& dashboard_files();

}  // namespace berth::host::admin
