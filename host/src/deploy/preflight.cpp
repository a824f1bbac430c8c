// check_files(): what --check-config can see of a valid config without starting anything.
#include <berth/host/config.hpp>

#include "deploy/library_file.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace berth::host {

namespace {

namespace fs = std::filesystem;

// "" if `dir` is a directory this process may write in, or could be created: its nearest
// existing ancestor is one. Nothing is created.
std::string uncreatable_dir(const fs::path& dir) {
    fs::path at = dir;
    struct stat st {};
    while (::stat(at.c_str(), &st) != 0) {
        const int e = errno;
        if ((e != ENOENT && e != ENOTDIR) || at == at.parent_path())
            return "cannot create " + dir.string() + ": " + at.string() + ": " + std::strerror(e);
        at = at.parent_path();
    }
    const std::string what = at == dir ? dir.string() : "cannot create " + dir.string() + ": " + at.string();
    if (!S_ISDIR(st.st_mode)) return what + " is not a directory";
    if (::access(at.c_str(), W_OK | X_OK) != 0) {
        const int e = errno;
        return what + " is not writable: " + std::strerror(e);
    }
    return {};
}

}  // namespace

std::vector<config_error> check_files(const config& c, std::string_view modules_key) {
    std::vector<config_error> out;
    if (auto why = uncreatable_dir(c.data_dir); !why.empty()) out.push_back({"/data_dir", why});
    // Read as a load reads it (deploy/library_file.hpp): the same policy, the same steps up to
    // the ELF magic. A file boot would refuse is not called valid here.
    const auto policy = deploy::policy_for(c);
    for (auto& m : c.modules) {  // module names need no escaping in a pointer: [a-z0-9_-]
        auto image = deploy::read_library(m.library, policy);
        if (auto* f = std::get_if<plugin::load_failure>(&image))
            out.push_back({"/" + std::string(modules_key) + "/" + m.name + "/library", f->message});
    }
    return out;
}

}  // namespace berth::host
