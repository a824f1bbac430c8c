// The Swagger UI files /docs serves (npm package swagger-ui-dist, copied by the build into
// <build>/share/berth/swagger-ui and installed into <prefix>/share/berth/swagger-ui). A fixed
// list of names, read whole into memory once at start: no path from a request ever reaches the
// filesystem, and a file changed on disk later changes nothing until the next start.
#pragma once

#include <filesystem>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace berth::host::pipeline {

struct docs_asset {
    std::string_view name;          // as served under /docs/
    std::string_view content_type;
    std::string body;
};

class docs_assets {
public:
    // Reads every file of the fixed list from `dir`. Each must be a regular file (not a link)
    // owned by this user or root, writable by no one else (someone who could change it could
    // run script on every module's origin), within a size bound. When any fails, the result is
    // not installed() and missing() says why, for the log.
    static std::shared_ptr<const docs_assets> load(const std::filesystem::path& dir);

    // <directory of the running executable>/../share/berth/swagger-ui: the build tree and an
    // installed prefix both put the files there relative to berthd and the test programs.
    static std::filesystem::path default_dir();

    bool installed() const { return missing_.empty(); }
    const std::string& missing() const { return missing_; }
    // The file served as /docs/<name>; null for any name not in the list.
    const docs_asset* find(std::string_view name) const;

private:
    std::vector<docs_asset> files_;
    std::string missing_;
};

}  // namespace berth::host::pipeline
