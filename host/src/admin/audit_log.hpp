// The admin plane's audit trail: one JSON line per mutating call (time, peer, request id, call,
// outcome), appended to <data_dir>/audit.log (0600). Never holds a secret: not the admin token,
// not a minted token. Bounded: past max_bytes the file is renamed .1 (.1 to .2, ...), max_files
// rotated files are kept, and a new one is begun.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <mutex>
#include <string>

namespace berth::host::admin {

class audit_log {
public:
    static constexpr std::uint64_t default_max_bytes = 10ull * 1024 * 1024;
    static constexpr unsigned default_max_files = 5;

    // Opens (creating 0600, refusing a link) for appending. Throws files::file_error.
    explicit audit_log(const std::filesystem::path& file, std::uint64_t max_bytes = default_max_bytes,
                       unsigned max_files = default_max_files);
    ~audit_log();  // writes the refusals not yet written
    audit_log(const audit_log&) = delete;
    audit_log& operator=(const audit_log&) = delete;

    // Any thread. `call` is "METHOD /path", with the admin API's own switches (?force=true) only; `request_id` one the host made;
    // `client_request_id` the X-Request-Id the client chose, if any (a field of its own);
    // `detail` a sentence for the operator.
    void record(const std::string& peer, const std::string& request_id, const std::string& call, int status,
                const std::string& detail, const std::string& client_request_id = {});

    // Any thread. A mutating call refused before it was authenticated (no token, wrong Host, an
    // unknown dashboard code): anyone can send those, so they are counted and written at most
    // once a second, as one line with the count, the last peer and status. Nothing the client
    // chose (path, id) is written.
    void record_refusal(const std::string& peer, int status);

private:
    void open_file();                          // throws files::file_error
    void write_line(const std::string& line);  // with mutex_ held
    void rotate();                             // with mutex_ held
    std::mutex mutex_;
    std::filesystem::path file_;
    std::uint64_t max_bytes_;
    unsigned max_files_;
    std::uint64_t size_ = 0;
    int fd_ = -1;
    std::chrono::steady_clock::time_point last_refusal_line_{};
    std::size_t unwritten_refusals_ = 0;
    std::string last_refused_peer_;
    int last_refused_status_ = 0;
};

}  // namespace berth::host::admin
