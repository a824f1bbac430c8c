// The host log pointed at a file for one test; the test binary's own logger comes back after.
#pragma once

#include "ops/logging.hpp"

#include <spdlog/spdlog.h>

#include <filesystem>
#include <memory>
#include <string>
#include <string_view>

namespace berth::test {

class host_log {
public:
    host_log(const std::filesystem::path& file, const std::string& level, std::string_view override_level = {}) {
        berth::host::logging_config c;
        c.destination = "file";
        c.file.path = file;
        c.level = level;
        berth::host::ops::configure_logging(c, override_level);
    }
    ~host_log() { spdlog::set_default_logger(saved_); }
    host_log(const host_log&) = delete;
    host_log& operator=(const host_log&) = delete;

private:
    std::shared_ptr<spdlog::logger> saved_ = spdlog::default_logger();
};

}  // namespace berth::test
