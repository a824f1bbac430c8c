#include "admin/audit_log.hpp"

#include "files/private_file.hpp"
#include "http/problem.hpp"
#include "ops/clock_text.hpp"

#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>

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

namespace {

std::string refusal_line(const std::string& peer, int status, std::size_t count) {
    return http::json_text({{"time", ops::utc_seconds_text(std::chrono::system_clock::now())},
                            {"peer", peer},
                            {"call", "refused before authentication"},
                            {"status", status},
                            {"count", count}}) +
           "\n";
}

}  // namespace

audit_log::~audit_log() {
    if (fd_ < 0) return;
    std::lock_guard lock(mutex_);
    if (unwritten_refusals_) write_line(refusal_line(last_refused_peer_, last_refused_status_, unwritten_refusals_));
    ::close(fd_);
}

void audit_log::write_line(const std::string& line) {
    // One write of a whole line with O_APPEND: lines never interleave.
    if (::write(fd_, line.data(), line.size()) != static_cast<ssize_t>(line.size()))
        spdlog::error("audit log write failed: {}", std::strerror(errno));
}

void audit_log::record_refusal(const std::string& peer, int status) {
    const auto now = std::chrono::steady_clock::now();
    std::lock_guard lock(mutex_);
    ++unwritten_refusals_;
    last_refused_peer_ = peer.substr(0, 64);
    last_refused_status_ = status;
    if (now - last_refusal_line_ < std::chrono::seconds(1)) return;
    write_line(refusal_line(last_refused_peer_, status, unwritten_refusals_));
    unwritten_refusals_ = 0;
    last_refusal_line_ = now;
}

void audit_log::record(const std::string& peer, const std::string& request_id, const std::string& call, int status,
                       const std::string& detail) {
    const std::string line = http::json_text({{"time", ops::utc_seconds_text(std::chrono::system_clock::now())},
                                              {"peer", peer},
                                              {"request_id", request_id},
                                              {"call", call},
                                              {"status", status},
                                              {"detail", detail}}) +
                             "\n";
    std::lock_guard lock(mutex_);
    write_line(line);
}

}  // namespace berth::host::admin
