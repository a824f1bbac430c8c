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
#include <cstdio>
#include <chrono>
#include <cstring>

namespace berth::host::admin {

audit_log::audit_log(const std::filesystem::path& file, std::uint64_t max_bytes, unsigned max_files)
    : file_(file), max_bytes_(max_bytes), max_files_(max_files) {
    open_file();
}

void audit_log::open_file() {
    fd_ = ::open(file_.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (fd_ < 0) throw files::file_error("cannot open the audit log " + file_.string() + ": " + std::strerror(errno));
    struct stat st {};
    if (::fstat(fd_, &st) != 0 || !S_ISREG(st.st_mode) || (st.st_mode & 077)) {
        ::close(fd_);
        fd_ = -1;
        throw files::file_error("the audit log " + file_.string() + " must be a regular file with mode 0600");
    }
    size_ = static_cast<std::uint64_t>(st.st_size);
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
    std::lock_guard lock(mutex_);
    if (fd_ >= 0 && unwritten_refusals_)
        write_line(refusal_line(last_refused_peer_, last_refused_status_, unwritten_refusals_));
    if (fd_ >= 0) ::close(fd_);
}

void audit_log::rotate() {
    // audit.log.N-1 -> .N, ..., audit.log -> .1: the oldest falls off; renames keep each file's 0600.
    ::close(fd_);
    fd_ = -1;
    const std::string base = file_.string();
    auto name = [&](unsigned i) { return i == 0 ? base : base + "." + std::to_string(i); };
    if (max_files_ == 0) {
        ::unlink(base.c_str());
    } else {
        for (unsigned i = max_files_; i > 0; --i) ::rename(name(i - 1).c_str(), name(i).c_str());
    }
    try {
        open_file();
    } catch (const std::exception& e) {
        spdlog::error("audit log rotation failed: {}", e.what());
    }
}

void audit_log::write_line(const std::string& line) {
    if (size_ > 0 && size_ + line.size() > max_bytes_) rotate();
    if (fd_ < 0) {
        spdlog::error("audit log not open: line dropped");
        return;
    }
    // One write of a whole line with O_APPEND: lines never interleave.
    if (::write(fd_, line.data(), line.size()) != static_cast<ssize_t>(line.size()))
        spdlog::error("audit log write failed: {}", std::strerror(errno));
    else
        size_ += line.size();
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
                       const std::string& detail, const std::string& client_request_id) {
    nlohmann::json j = {{"time", ops::utc_seconds_text(std::chrono::system_clock::now())},     {"peer", peer},     {"request_id", request_id},
                        {"call", call},          {"status", status}, {"detail", detail}};
    if (!client_request_id.empty()) j["client_request_id"] = client_request_id;
    const std::string line = http::json_text(j) + "\n";
    std::lock_guard lock(mutex_);
    write_line(line);
}

}  // namespace berth::host::admin
