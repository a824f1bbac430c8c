// Sessions that end: the host's record of bearer tokens it no longer accepts, checked by the
// bearer stage of every module in memory (a shared lock and a hash lookup per request), kept in
// <data_dir>/revoked-sessions.json so that a restart does not bring a revoked token back.
//   - per token id (jti): refused until the token's own exp (a log-out);
//   - per subject: a "not before" in Unix ms; a token of that sub issued before it is refused
//     (a password change ends every older session).
// Bounded: an entry leaves once every token it concerns has expired (a subject entry after the
// configured ttl, or at the latest expiry of a longer token issued, kept in the file, whichever
// is later), and each table holds at most a fixed count; a full token table ends all of that
// subject's sessions instead (more revoked, never fewer), a full subject table refuses the
// revocation.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <mutex>
#include <shared_mutex>
#include <stdexcept>
#include <string>
#include <string_view>
#include <unordered_map>

namespace berth::host::auth {

// A revocation that could not be recorded or kept; the message says why (for the module).
class revocation_error : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

class revocations {
public:
    struct limits {
        std::size_t max_token_ids = 100'000;
        std::size_t max_subjects = 100'000;
        // The configured token life (auth.token_ttl_s): how long past its not_before a subject
        // entry is kept, unless a longer token issued (note_ttl) expires later.
        std::int64_t token_ttl_s = 3600;
    };
    static constexpr std::size_t max_subject_bytes = 256;
    static constexpr std::size_t max_jti_bytes = 64;

    // Throws revocation_error unless `subject` is one the store can keep: 1..max_subject_bytes
    // of UTF-8 without control characters (C0, DEL, C1). token_service issues no other.
    static void check_subject(std::string_view subject);
    // The largest file these limits can produce (every entry at its longest, fully escaped).
    static std::size_t max_file_bytes(const limits& l);

    // Loads `file` when it exists (a missing one is empty). Throws files::file_error naming the
    // file when it is not private, unreadable, too large or corrupt: the host must not start
    // accepting tokens it promised to refuse.
    explicit revocations(std::filesystem::path file, limits l);
    explicit revocations(std::filesystem::path file) : revocations(std::move(file), limits{}) {}
    // Tests: with the clock (Unix ms) the load reads too (what an older file is kept from).
    revocations(std::filesystem::path file, limits l, std::function<std::int64_t()> now_ms);

    // Whether the edge refuses a verified token with these claims. `jti` may be empty (an older
    // token); `iat_ms` is its issue time in Unix ms. Any thread; never throws.
    bool refused(std::string_view subject, std::string_view jti, std::int64_t iat_ms) const noexcept;

    // The Unix ms before which `subject`'s tokens are refused; 0 when none is recorded.
    std::int64_t not_before(std::string_view subject) const noexcept;

    // What end_session recorded.
    enum class ended { token, subject };
    // Refuses the token `jti` of `subject` until `exp_s` (Unix seconds). With no jti, or with the
    // token table full, the subject's not_before becomes now instead. Persisted before it
    // returns. Throws revocation_error (not recorded: subject table full, subject too long) or
    // files::file_error (recorded in memory but not written).
    ended end_session(std::string_view subject, std::string_view jti, std::int64_t exp_s);
    // Every token of `subject` issued up to now is refused (not_before = now + 1 ms, or just past
    // the previous not_before; tokens issued from here on get an iat_ms of at least that, see
    // token_service). Throws as above.
    void end_sessions(std::string_view subject);

    // A token living `ttl_s` is about to be issued. Nothing to do within the configured ttl (a
    // log-in: no lock, no write; returns INT64_MAX); a longer one raises long_until_ms to now +
    // ttl_s, persisted before it returns (also when another caller raised it and its write is not
    // done), and returns that: the token's exp (ms) must not pass it, or an end_sessions made
    // between this call and its issue would let it outlive its entry. Throws files::file_error
    // when it cannot be persisted: the token must not be issued then.
    std::int64_t note_ttl(std::int64_t ttl_s);
    // The latest expiry (Unix ms) of a token issued longer than the configured ttl; 0 when none.
    std::int64_t long_until_ms() const;

    std::size_t token_ids() const;
    std::size_t subjects() const;
    const std::filesystem::path& file() const { return file_; }

    // Tests: the clock (Unix ms) the store reads; the system clock by default.
    void set_clock(std::function<std::int64_t()> now_ms);

private:
    struct text_hash {
        using is_transparent = void;
        std::size_t operator()(std::string_view s) const noexcept { return std::hash<std::string_view>{}(s); }
    };
    struct subject_entry {
        std::int64_t not_before_ms = 0;
        std::int64_t until_ms = 0;  // when every token it concerns has expired
    };
    using token_table = std::unordered_map<std::string, std::int64_t, text_hash, std::equal_to<>>;  // jti -> until ms
    using subject_table = std::unordered_map<std::string, subject_entry, text_hash, std::equal_to<>>;

    std::int64_t now_ms() const;
    void load();
    void purge_locked(std::int64_t now);  // writer lock held
    void end_subject_locked(std::string_view subject, std::int64_t now);  // writer lock held
    // Writes the tables (as they are then) unless a write begun after change `seq` did already:
    // changes that arrive during a write share the next one (a group commit).
    void persist_through(std::uint64_t seq);

    std::filesystem::path file_;
    limits limits_;
    std::function<std::int64_t()> clock_;
    std::mutex write_mutex_;  // one change to the tables at a time (and the clock)
    std::mutex persist_mutex_;  // one write of the file at a time
    std::uint64_t persisted_ = 0;  // persist_mutex_: the last change the file holds
    mutable std::shared_mutex mutex_;  // the tables and changes_: shared for the edge's reads
    std::uint64_t changes_ = 0;  // changes made to the tables
    std::int64_t ttl_ms_ = 0;  // the configured ttl
    std::int64_t long_until_ms_ = 0;  // mutex_: the latest expiry of a longer token (only rises)
    std::atomic<std::int64_t> long_until_persisted_ = 0;  // the latest long_until_ms_ the file holds
    token_table tokens_;
    subject_table subjects_;
};

}  // namespace berth::host::auth
