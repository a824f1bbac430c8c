#include "files/private_file.hpp"

#include <sodium.h>
#include <spdlog/spdlog.h>

#include <fcntl.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace berth::host::files {

namespace fs = std::filesystem;

namespace {

std::string errno_text() { return std::strerror(errno); }

struct fd_guard {
    int fd;
    ~fd_guard() {
        if (fd >= 0) ::close(fd);
    }
};

std::string octal_mode(mode_t m) {
    char buf[8];
    std::snprintf(buf, sizeof buf, "%04o", static_cast<unsigned>(m & 07777));
    return buf;
}

}  // namespace

void make_private_dir(const fs::path& dir) {
    std::error_code ec;
    fs::create_directories(dir, ec);
    if (ec) throw file_error("cannot create directory " + dir.string() + ": " + ec.message());
    fd_guard d{::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)};
    struct stat st {};
    if (d.fd < 0 || ::fstat(d.fd, &st) != 0 || !S_ISDIR(st.st_mode))
        throw file_error(dir.string() + " is not a directory (symbolic links are refused)");
    // Someone else's directory could swap our files under us, whatever their modes.
    if (st.st_uid != ::geteuid())
        throw file_error(dir.string() + " is owned by uid " + std::to_string(st.st_uid) + ", not by this user (uid " +
                         std::to_string(::geteuid()) + ")");
    if ((st.st_mode & 0777) != 0700 && ::fchmod(d.fd, 0700) != 0)
        throw file_error("cannot make " + dir.string() + " private (chmod 700): " + errno_text());
}

void fsync_dir(const fs::path& dir) {
    int fd = ::open(dir.empty() ? "." : dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) return;
    ::fsync(fd);
    ::close(fd);
}

bool write_private_file(const fs::path& file, std::string_view bytes, bool replace) {
    unsigned char nonce[8];
    randombytes_buf(nonce, sizeof nonce);
    char suffix[2 * sizeof nonce + 1];
    sodium_bin2hex(suffix, sizeof suffix, nonce, sizeof nonce);
    fs::path tmp = file;
    tmp += std::string(".tmp.") + suffix;
    {
        fd_guard out{::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600)};
        if (out.fd < 0) throw file_error("cannot create " + tmp.string() + ": " + errno_text());
        std::size_t done = 0;
        while (done < bytes.size()) {
            auto n = ::write(out.fd, bytes.data() + done, bytes.size() - done);
            if (n < 0 && errno == EINTR) continue;
            if (n <= 0) {
                ::unlink(tmp.c_str());
                throw file_error("cannot write " + tmp.string() + ": " + errno_text());
            }
            done += static_cast<std::size_t>(n);
        }
        if (::fsync(out.fd) != 0) {
            ::unlink(tmp.c_str());
            throw file_error("cannot fsync " + tmp.string() + ": " + errno_text());
        }
    }
    int rc = replace ? ::rename(tmp.c_str(), file.c_str())
                     : ::renameat2(AT_FDCWD, tmp.c_str(), AT_FDCWD, file.c_str(), RENAME_NOREPLACE);
    if (rc != 0) {
        const int err = errno;
        ::unlink(tmp.c_str());
        if (!replace && err == EEXIST) return false;
        throw file_error("cannot rename " + tmp.string() + " to " + file.string() + ": " + std::strerror(err));
    }
    fsync_dir(file.parent_path());
    return true;
}

std::string read_secret_file(const fs::path& file, std::size_t max_bytes) {
    fd_guard in{::open(file.c_str(), O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC)};
    if (in.fd < 0) throw file_error("cannot open " + file.string() + " (symbolic links are refused): " + errno_text());
    struct stat st {};
    if (::fstat(in.fd, &st) != 0) throw file_error("cannot stat " + file.string() + ": " + errno_text());
    if (!S_ISREG(st.st_mode)) throw file_error(file.string() + " is not a regular file");
    if (st.st_uid != ::geteuid() && st.st_uid != 0)
        throw file_error(file.string() + " is owned by uid " + std::to_string(st.st_uid) +
                         ", neither this user nor root");
    if (st.st_mode & 077)
        throw file_error(file.string() + " is accessible by group or others (mode " + octal_mode(st.st_mode) +
                         "); run chmod 600 on it");
    if (static_cast<std::uint64_t>(st.st_size) > max_bytes)
        throw file_error(file.string() + " is larger than " + std::to_string(max_bytes) + " bytes");
    std::string text(static_cast<std::size_t>(st.st_size), '\0');
    std::size_t done = 0;
    while (done < text.size()) {
        auto n = ::read(in.fd, text.data() + done, text.size() - done);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) break;
        done += static_cast<std::size_t>(n);
    }
    text.resize(done);
    return text;
}

std::string load_or_create_secret(const fs::path& file, std::string_view what) {
    struct stat st {};
    if (::lstat(file.c_str(), &st) != 0 && errno == ENOENT) {
        unsigned char raw[32];
        randombytes_buf(raw, sizeof raw);
        char hex[2 * sizeof raw + 1];
        sodium_bin2hex(hex, sizeof hex, raw, sizeof raw);
        sodium_memzero(raw, sizeof raw);
        if (write_private_file(file, std::string(hex) + "\n", false))
            spdlog::info("created {} {} (mode 0600)", what, file.string());
        sodium_memzero(hex, sizeof hex);
    }
    std::string text = read_secret_file(file);
    while (!text.empty() && std::isspace(static_cast<unsigned char>(text.back()))) text.pop_back();
    return text;
}

}  // namespace berth::host::files
