// The host log for a program that runs berth::host (berthd does): spdlog's default logger set
// as config "logging" says. An embedding application that keeps its own logger never calls it.
#pragma once

#include <berth/host/config.hpp>

#include <stdexcept>
#include <string_view>

namespace berth::host {

// The log file cannot be opened privately (a link, not a regular file, not ours), or a level
// name is unknown.
class logging_error : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

// Replaces spdlog's default logger with the host log: `c.level` (or `level_override` when not
// empty: berthd --log-level), `c.format`, `c.destination`. Throws logging_error.
void configure_logging(const logging_config& c, std::string_view level_override = {});

}  // namespace berth::host
