// What this process has mapped, as the kernel says (/proc/self/maps): whether a library really
// left, whatever the loader or the host claim.
#pragma once

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

namespace berth::test {

// The files mapped into this process, one entry per mapping; a file deleted while mapped is
// listed under its old path (the kernel's " (deleted)" suffix is dropped).
inline std::vector<std::filesystem::path> mapped_files() {
    std::vector<std::filesystem::path> out;
    std::ifstream maps("/proc/self/maps");
    std::string line;
    while (std::getline(maps, line)) {
        std::istringstream fields(line);
        std::string address, perms, offset, device, inode;
        fields >> address >> perms >> offset >> device >> inode >> std::ws;
        std::string path;
        std::getline(fields, path);
        if (path.empty() || path.front() != '/') continue;  // anonymous, [heap], [stack], ...
        const std::string deleted = " (deleted)";
        if (path.size() > deleted.size() && path.compare(path.size() - deleted.size(), deleted.size(), deleted) == 0)
            path.resize(path.size() - deleted.size());
        out.emplace_back(path);
    }
    return out;
}

// True while `file` is mapped into this process.
inline bool is_mapped(const std::filesystem::path& file) {
    for (auto& p : mapped_files())
        if (p == file) return true;
    return false;
}

// The mapped files in `dir` whose names start with `prefix` (once each).
inline std::vector<std::filesystem::path> mapped_in(const std::filesystem::path& dir, const std::string& prefix) {
    std::vector<std::filesystem::path> out;
    for (auto& p : mapped_files())
        if (p.parent_path() == dir && p.filename().string().rfind(prefix, 0) == 0 &&
            std::find(out.begin(), out.end(), p) == out.end())
            out.push_back(p);
    return out;
}

}  // namespace berth::test
