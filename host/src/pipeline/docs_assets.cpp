#include "pipeline/docs_assets.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstring>

namespace berth::host::pipeline {

namespace {

namespace fs = std::filesystem;

struct listed {
    std::string_view name;
    std::string_view content_type;
};

// What the page needs, and the licence texts that must travel with the code (Apache-2.0).
constexpr std::array<listed, 7> listed_files{{
    {"swagger-ui-bundle.js", "text/javascript; charset=utf-8"},
    {"swagger-ui.css", "text/css; charset=utf-8"},
    {"favicon-32x32.png", "image/png"},
    {"favicon-16x16.png", "image/png"},
    {"LICENSE", "text/plain; charset=utf-8"},
    {"NOTICE", "text/plain; charset=utf-8"},
    {"swagger-ui-bundle.js.LICENSE.txt", "text/plain; charset=utf-8"},
}};
// swagger-ui-bundle.js 5.35 is 1.7 MB: room to grow, and a cap on what a start reads.
constexpr std::uint64_t max_file_bytes = 8ull * 1024 * 1024;

struct fd_guard {
    int fd;
    ~fd_guard() {
        if (fd >= 0) ::close(fd);
    }
};

// Empty when `st` may be trusted for files served to browsers; else why not.
std::string trust_problem(const struct stat& st, const fs::path& p) {
    if (st.st_uid != ::geteuid() && st.st_uid != 0)
        return p.string() + " is owned by uid " + std::to_string(st.st_uid) + ", neither this user nor root";
    if (st.st_mode & (S_IWGRP | S_IWOTH)) return p.string() + " is writable by group or others";
    return {};
}

// The file's bytes, or throws std::runtime_error saying why not.
std::string read_asset(const fs::path& file) {
    fd_guard in{::open(file.c_str(), O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC)};
    if (in.fd < 0) throw std::runtime_error("cannot open " + file.string() + ": " + std::strerror(errno));
    struct stat st {};
    if (::fstat(in.fd, &st) != 0) throw std::runtime_error("cannot stat " + file.string() + ": " + std::strerror(errno));
    if (!S_ISREG(st.st_mode)) throw std::runtime_error(file.string() + " is not a regular file");
    if (auto why = trust_problem(st, file); !why.empty()) throw std::runtime_error(why);
    if (static_cast<std::uint64_t>(st.st_size) > max_file_bytes)
        throw std::runtime_error(file.string() + " is larger than " + std::to_string(max_file_bytes) + " bytes");
    std::string bytes(static_cast<std::size_t>(st.st_size), '\0');
    std::size_t done = 0;
    while (done < bytes.size()) {
        auto n = ::read(in.fd, bytes.data() + done, bytes.size() - done);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) throw std::runtime_error("cannot read " + file.string() + ": " + std::strerror(errno));
        if (n == 0) break;
        done += static_cast<std::size_t>(n);
    }
    if (done != bytes.size()) throw std::runtime_error(file.string() + " changed size while it was read");
    return bytes;
}

}  // namespace

std::shared_ptr<const docs_assets> docs_assets::load(const fs::path& dir) {
    auto out = std::make_shared<docs_assets>();
    try {
        std::error_code ec;
        const auto real = fs::canonical(dir, ec);
        if (ec) throw std::runtime_error("cannot find " + dir.string() + ": " + ec.message());
        struct stat st {};
        if (::stat(real.c_str(), &st) != 0 || !S_ISDIR(st.st_mode)) throw std::runtime_error(real.string() + " is not a directory");
        if (auto why = trust_problem(st, real); !why.empty()) throw std::runtime_error(why);
        for (auto& f : listed_files) out->files_.push_back({f.name, f.content_type, read_asset(real / f.name)});
    } catch (const std::exception& e) {
        out->files_.clear();
        out->missing_ = e.what();
    }
    return out;
}

fs::path docs_assets::default_dir() {
    std::error_code ec;
    auto exe = fs::read_symlink("/proc/self/exe", ec);
    if (ec) return {};
    return (exe.parent_path() / ".." / "share" / "berth" / "swagger-ui").lexically_normal();
}

const docs_asset* docs_assets::find(std::string_view name) const {
    for (auto& f : files_)
        if (f.name == name) return &f;
    return nullptr;
}

}  // namespace berth::host::pipeline
