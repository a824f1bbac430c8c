#include "deploy/library_file.hpp"

#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

namespace berth::host::deploy {

namespace fs = std::filesystem;
using plugin::file_image;
using plugin::load_failure;

namespace {

std::optional<fs::path> real_path(const fs::path& p) {
    char* resolved = ::realpath(p.c_str(), nullptr);
    if (!resolved) return std::nullopt;
    fs::path out(resolved);
    ::free(resolved);
    return out;
}

bool is_within(const fs::path& file, const fs::path& dir) {
    auto f = file.begin();
    for (auto d = dir.begin(); d != dir.end(); ++d, ++f) {
        if (d->empty()) continue;  // a trailing slash
        if (f == file.end() || *f != *d) return false;
    }
    return f != file.end();
}

}  // namespace

library_policy policy_for(const config& c) {
    auto dirs = c.deploy.allowed_dirs;
    if (dirs.empty())
        for (auto& m : c.modules) dirs.push_back(m.library.parent_path());
    dirs.push_back(c.data_dir / "shadow");
    return make_policy(dirs, c.deploy.max_library_bytes);
}

library_policy make_policy(const std::vector<fs::path>& dirs, std::uint64_t max_bytes) {
    library_policy p;
    p.max_bytes = max_bytes;
    for (auto& d : dirs) p.allowed_dirs.push_back(real_path(d).value_or(d.lexically_normal()));
    return p;
}

std::variant<file_image, load_failure> read_library(const fs::path& file, const library_policy& policy) {
    const std::string name = file.string();
    auto resolved = real_path(file);
    if (!resolved) return load_failure{"read", "cannot read " + name + ": " + std::strerror(errno)};
    if (std::none_of(policy.allowed_dirs.begin(), policy.allowed_dirs.end(),
                     [&](const fs::path& dir) { return is_within(*resolved, dir); }))
        return load_failure{"policy", name + (resolved->string() == name ? "" : " (" + resolved->string() + ")") +
                                          " is outside the directories libraries may load from (deploy.allowed_dirs)"};

    int fd = ::open(resolved->c_str(), O_RDONLY | O_NONBLOCK | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0) return load_failure{"read", "cannot open " + name + ": " + std::strerror(errno)};
    struct closer {
        int fd;
        ~closer() { ::close(fd); }
    } guard{fd};
    struct stat st {};
    if (::fstat(fd, &st) != 0) return load_failure{"read", "cannot stat " + name + ": " + std::strerror(errno)};
    if (!S_ISREG(st.st_mode)) return load_failure{"read", name + " is not a regular file"};
    if (st.st_uid != ::geteuid() && st.st_uid != 0)
        return load_failure{"policy", name + " is owned by uid " + std::to_string(st.st_uid) +
                                          ", neither the service user nor root"};
    if (st.st_mode & (S_IWGRP | S_IWOTH))
        return load_failure{"policy", name + " is writable by group or others"};
    // Whoever may write the directory may swap the file (or a link on its path) under us.
    struct stat dir {};
    if (::stat(resolved->parent_path().c_str(), &dir) != 0 || (dir.st_uid != ::geteuid() && dir.st_uid != 0) ||
        (dir.st_mode & (S_IWGRP | S_IWOTH)))
        return load_failure{"policy", name + " is in a directory that another user may write"};
    if (static_cast<std::uint64_t>(st.st_size) > policy.max_bytes)
        return load_failure{"read", name + " is " + std::to_string(st.st_size) + " bytes, more than the " +
                                        std::to_string(policy.max_bytes) + " allowed (deploy.max_library_bytes)"};

    file_image image{file, {}, {}};
    image.bytes.resize(static_cast<std::size_t>(st.st_size));
    std::size_t done = 0;
    while (done < image.bytes.size()) {
        auto n = ::read(fd, image.bytes.data() + done, image.bytes.size() - done);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) return load_failure{"read", "cannot read " + name + ": " + std::strerror(errno)};
        if (n == 0) break;
        done += static_cast<std::size_t>(n);
    }
    if (done != image.bytes.size()) return load_failure{"read", name + " changed size while it was read"};
    if (image.bytes.size() < 4 || image.bytes.compare(0, 4, "\x7f" "ELF") != 0)
        return load_failure{"elf", name + " is not an ELF shared object"};
    image.sha256 = plugin::sha256_hex(image.bytes);
    return image;
}

}  // namespace berth::host::deploy
