// The admin plane's audit trail: one JSON line per mutating call (time, peer, request id, call,
// outcome), appended to <data_dir>/audit.log (0600). Never holds a secret: not the admin token,
// not a minted token.
#pragma once

#include <filesystem>
#include <mutex>
#include <string>

namespace berth::host::admin {

class audit_log {
public:
    // Opens (creating 0600, refusing a link) for appending. Throws files::file_error.
    explicit audit_log(const std::filesystem::path& file);
    ~audit_log();
    audit_log(const audit_log&) = delete;
    audit_log& operator=(const audit_log&) = delete;

    // Any thread. `call` is "METHOD /path"; `detail` a sentence for the operator.
    void record(const std::string& peer, const std::string& request_id, const std::string& call, int status,
                const std::string& detail);

private:
    std::mutex mutex_;
    int fd_ = -1;
};

}  // namespace berth::host::admin
