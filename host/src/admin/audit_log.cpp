#include "admin/audit_log.hpp"

#include "files/private_file.hpp"
#include "http/problem.hpp"

#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <ctime>

namespace berth::host::admin {

audit_log::audit_log(const std::filesystem::path& file) {
    fd_ = ::open(file.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (fd_ < 0) throw files::file_error("cannot open the audit log " + file.string() + ": " + std::strerror(errno));
    struct stat st {};
    if (::fstat(fd_, &st) != 0 || !S_ISREG(st.st_mode) || (st.st_mode & 077)) {
        ::close(fd_);
        fd_ = -1;
        throw files::file_error("the audit log " + file.string() + " must be a regular file with mode 0600");
    }
}

audit_log::~audit_log() {
    if (fd_ >= 0) ::close(fd_);
}

void audit_log::record(const std::string& peer, const std::string& request_id, const std::string& call, int status,
                       const std::string& detail) {
    const auto now = std::chrono::system_clock::now();
    const auto secs = std::chrono::system_clock::to_time_t(now);
    std::tm tm{};
    gmtime_r(&secs, &tm);
    char when[32];
    std::strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%SZ", &tm);
    const std::string line = http::json_text({{"time", when},
                                              {"peer", peer},
                                              {"request_id", request_id},
                                              {"call", call},
                                              {"status", status},
                                              {"detail", detail}}) +
                             "\n";
    std::lock_guard lock(mutex_);
    // One write of a whole line with O_APPEND: lines never interleave.
    if (::write(fd_, line.data(), line.size()) != static_cast<ssize_t>(line.size()))
        spdlog::error("audit log write failed: {}", std::strerror(errno));
}

}  // namespace berth::host::admin
