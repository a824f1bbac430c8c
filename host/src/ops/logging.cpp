#include "ops/logging.hpp"

#include "files/private_file.hpp"

#include <spdlog/sinks/rotating_file_sink.h>
#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>

namespace berth::host::ops {

namespace fs = std::filesystem;

namespace {

// Missing directories of `dir`, made 0700 from the top down (existing ones are left as they are:
// /var/log belongs to the system).
void make_missing_dirs(const fs::path& dir) {
    if (dir.empty() || fs::exists(dir)) return;
    make_missing_dirs(dir.parent_path());
    if (::mkdir(dir.c_str(), 0700) != 0 && errno != EEXIST)
        throw files::file_error("cannot create the log directory " + dir.string() + ": " + std::strerror(errno));
}

}  // namespace

void make_private_log_file(const std::string& path) {
    make_missing_dirs(fs::path(path).parent_path());
    const int fd = ::open(path.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (fd < 0) throw files::file_error("cannot open the log file " + path + ": " + std::strerror(errno));
    struct stat st {};
    std::string wrong;
    if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode))
        wrong = "is not a regular file";
    else if (st.st_uid != ::geteuid())
        wrong = "belongs to another user";
    else if ((st.st_mode & 077) && ::fchmod(fd, 0600) != 0)  // created earlier, under a wider umask
        wrong = std::string("cannot be made 0600: ") + std::strerror(errno);
    ::close(fd);
    if (!wrong.empty()) throw files::file_error("the log file " + path + " " + wrong);
}

spdlog::level::level_enum level_named(std::string_view name) {
    if (name == "warn") return spdlog::level::warn;
    const auto level = spdlog::level::from_str(std::string(name));
    // from_str answers "off" for any name it does not know.
    if (level == spdlog::level::off && name != "off")
        throw std::invalid_argument("unknown log level '" + std::string(name) +
                                    "' (trace, debug, info, warn, error, critical, off)");
    return level;
}

spdlog::sink_ptr make_sink(const std::string& destination, const log_file_config& file) {
    if (destination != "file") return std::make_shared<spdlog::sinks::stderr_sink_mt>();
    const std::string path = file.path.string();
    make_private_log_file(path);
    spdlog::file_event_handlers handlers;
    // Each new file after a rotation: private before spdlog opens it, and checked after.
    handlers.before_open = [](const spdlog::filename_t& name) {
        try {
            make_private_log_file(name);
        } catch (const std::exception& e) {
            std::fprintf(stderr, "berthd: %s\n", e.what());
        }
    };
    handlers.after_open = [](const spdlog::filename_t&, std::FILE* f) { ::fchmod(::fileno(f), 0600); };
    return std::make_shared<spdlog::sinks::rotating_file_sink_mt>(path, static_cast<std::size_t>(file.max_bytes),
                                                                 static_cast<std::size_t>(file.max_files), false,
                                                                 handlers);
}

}  // namespace berth::host::ops

namespace berth::host {

void configure_logging(const logging_config& c, std::string_view level_override) {
    std::shared_ptr<spdlog::logger> logger;
    try {  // one error type for the public header: berthd exits 2 for it
        logger = std::make_shared<spdlog::logger>("host", ops::make_sink(c.destination, c.file));
        logger->set_level(ops::level_named(level_override.empty() ? std::string_view(c.level) : level_override));
    } catch (const files::file_error& e) {
        throw logging_error(e.what());
    } catch (const std::invalid_argument& e) {
        throw logging_error(e.what());
    }
    logger->set_formatter(ops::make_formatter(c.format));
    // A line is on disk when it is logged: what an operator reads after a crash is complete.
    logger->flush_on(spdlog::level::trace);
    spdlog::set_default_logger(std::move(logger));
}

}  // namespace berth::host
