// The host's logs as config "logging" says: JSON lines (or text) through spdlog, to stderr or
// to a size-rotated file that only the service account can read. The host log is spdlog's
// default logger (berthd sets it; an embedding application keeps its own); the access and
// event logs belong to a runtime (ops/logging_streams.hpp).
#pragma once

#include <berth/host/config.hpp>
#include <berth/host/logging.hpp>

#include "ops/clock_text.hpp"  // utc_text: the time of every log line and event

#include <spdlog/common.h>
#include <spdlog/formatter.h>

#include <memory>
#include <string>
#include <string_view>

namespace berth::host::ops {

// Declared in the public header (berthd calls them); host code names them here as well.
using host::configure_logging;
using host::logging_error;

// spdlog's level for a config name ("warn" as well as spdlog's "warning"); throws logging_error.
spdlog::level::level_enum level_named(std::string_view name);

// "stderr", or a rotating file (created 0600, its missing directories 0700; an existing file
// made 0600). Throws logging_error.
spdlog::sink_ptr make_sink(const std::string& destination, const log_file_config& file);

// One JSON object per line: {"time","level","logger","msg"}. With `payload_is_object`, the
// message is itself a JSON object's text (the access and event logs) and its members follow
// "logger" in place of "msg". Text format: a line for people.
std::unique_ptr<spdlog::formatter> make_formatter(const std::string& format, bool payload_is_object = false);

// Makes `path` a private regular file: created 0600 if absent (missing directories 0700),
// chmod 0600 if it exists with more; refuses a link or anything not a regular file we own.
void make_private_log_file(const std::string& path);

}  // namespace berth::host::ops
