#include "auth/revocations.hpp"

#include "files/private_file.hpp"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <chrono>
#include <limits>
#include <system_error>

namespace berth::host::auth {

namespace {

constexpr int file_version = 1;
// A file from before any ttl was tracked: its tokens may have lived the admin API's maximum.
constexpr std::int64_t untracked_ttl_s = 2'592'000;

// A code point the file must not hold: C0, DEL, C1 (the text is valid UTF-8 when asked).
bool has_control(std::string_view s) {
    for (std::size_t i = 0; i < s.size(); ++i) {
        const auto b = static_cast<unsigned char>(s[i]);
        if (b < 0x20 || b == 0x7F) return true;
        if (b == 0xC2 && i + 1 < s.size() && static_cast<unsigned char>(s[i + 1]) <= 0x9F) return true;  // U+0080..U+009F
    }
    return false;
}

std::int64_t system_ms() {
    return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
        .count();
}

[[noreturn]] void corrupt(const std::filesystem::path& file, const std::string& why) {
    throw files::file_error("revoked sessions file " + file.string() + " is corrupt (" + why +
                            "); restore it from a backup, or remove it to forget every revocation");
}

std::int64_t integer(const nlohmann::json& o, const char* key, const std::filesystem::path& file) {
    auto it = o.find(key);
    if (it == o.end() || !it->is_number_integer()) corrupt(file, std::string("an entry without an integer '") + key + "'");
    return it->get<std::int64_t>();
}

const std::string& text(const nlohmann::json& o, const char* key, std::size_t max, const std::filesystem::path& file) {
    auto it = o.find(key);
    if (it == o.end() || !it->is_string() || it->get_ref<const std::string&>().empty() ||
        it->get_ref<const std::string&>().size() > max)
        corrupt(file, std::string("an entry whose '") + key + "' is not a string of 1.." + std::to_string(max) + " bytes");
    return it->get_ref<const std::string&>();
}

}  // namespace

void revocations::check_subject(std::string_view subject) {
    if (subject.empty() || subject.size() > max_subject_bytes)
        throw revocation_error("a subject must be 1.." + std::to_string(max_subject_bytes) + " bytes");
    try {
        (void)nlohmann::json(std::string(subject)).dump();  // the file is JSON: UTF-8 only
    } catch (const nlohmann::json::exception&) {
        throw revocation_error("a subject must be UTF-8 text");
    }
    if (has_control(subject)) throw revocation_error("a subject must not hold control characters");
}

std::size_t revocations::max_file_bytes(const limits& l) {
    // Per entry: its keys and punctuation, two int64 (20 characters each), and its text with every
    // byte escaped: a subject holds no controls (at most 2 bytes each: \" or \\), a jti may (6).
    constexpr std::size_t token_entry = 64 + 20 + max_jti_bytes * 6;
    constexpr std::size_t subject_entry = 64 + 2 * 20 + max_subject_bytes * 2;
    return 4096 + l.max_token_ids * token_entry + l.max_subjects * subject_entry;
}

revocations::revocations(std::filesystem::path file, limits l) : revocations(std::move(file), l, &system_ms) {}

revocations::revocations(std::filesystem::path file, limits l, std::function<std::int64_t()> now_ms)
    : file_(std::move(file)), limits_(l), clock_(std::move(now_ms)), ttl_ms_(std::max<std::int64_t>(l.token_ttl_s, 1) * 1000) {
    load();
}

void revocations::set_clock(std::function<std::int64_t()> now_ms) {
    std::lock_guard w(write_mutex_);
    clock_ = std::move(now_ms);
}

std::int64_t revocations::now_ms() const { return clock_(); }

void revocations::load() {
    std::error_code ec;
    if (std::filesystem::symlink_status(file_, ec).type() == std::filesystem::file_type::not_found) return;
    // The secret-file rules (regular, ours, 0600, bounded) hold for this file too.
    const std::string bytes = files::read_secret_file(file_, max_file_bytes(limits_));
    auto doc = nlohmann::json::parse(bytes, nullptr, false);
    if (!doc.is_object()) corrupt(file_, "not a JSON object");
    if (integer(doc, "version", file_) != file_version) corrupt(file_, "an unknown version");
    auto tokens = doc.find("token_ids"), subjects = doc.find("subjects");
    if (tokens == doc.end() || !tokens->is_array() || subjects == doc.end() || !subjects->is_array())
        corrupt(file_, "no 'token_ids' and 'subjects' arrays");
    if (tokens->size() > limits_.max_token_ids || subjects->size() > limits_.max_subjects)
        corrupt(file_, "more entries than the host keeps");
    for (auto& e : *tokens) {
        if (!e.is_object()) corrupt(file_, "a token entry that is not an object");
        tokens_.insert_or_assign(text(e, "jti", max_jti_bytes, file_), integer(e, "until_ms", file_));
    }
    for (auto& e : *subjects) {
        if (!e.is_object()) corrupt(file_, "a subject entry that is not an object");
        if (has_control(text(e, "sub", max_subject_bytes, file_))) corrupt(file_, "a subject with control characters");
        subjects_.insert_or_assign(text(e, "sub", max_subject_bytes, file_),
                                   subject_entry{integer(e, "not_before_ms", file_), integer(e, "until_ms", file_)});
    }
    const auto now = now_ms();
    if (doc.contains("long_until_ms")) {
        long_until_ms_ = integer(doc, "long_until_ms", file_);
        if (long_until_ms_ < 0) corrupt(file_, "a negative long_until_ms");
    } else {
        // An older file: it kept the longest ttl issued (or none); a token of that ttl may have been
        // issued up to now, so it may live until now + that ttl.
        const std::int64_t tracked = doc.contains("longest_ttl_s") ? integer(doc, "longest_ttl_s", file_) : untracked_ttl_s;
        if (tracked < 1) corrupt(file_, "a longest_ttl_s under 1");
        if (tracked * 1000 > ttl_ms_) long_until_ms_ = now + tracked * 1000;
    }
    // Written under a longer configured ttl (lowered since): its tokens may live that long from now.
    if (doc.contains("token_ttl_s")) {
        const std::int64_t written = integer(doc, "token_ttl_s", file_);
        if (written < 1) corrupt(file_, "a token_ttl_s under 1");
        if (written * 1000 > ttl_ms_) long_until_ms_ = std::max(long_until_ms_, now + written * 1000);
    }
    long_until_persisted_ = long_until_ms_;
    purge_locked(now);
}

std::int64_t revocations::note_ttl(std::int64_t ttl_s) {
    // Every log-in: a subject entry covers it already (not_before + the configured ttl).
    if (ttl_s * 1000 <= ttl_ms_) return std::numeric_limits<std::int64_t>::max();
    std::uint64_t seq = 0;
    std::int64_t exp_ms = 0;
    {
        std::lock_guard w(write_mutex_);
        exp_ms = now_ms() + ttl_s * 1000;
        if (long_until_persisted_ >= exp_ms) return exp_ms;  // in the file already
        std::unique_lock lock(mutex_);
        if (long_until_ms_ < exp_ms) {
            long_until_ms_ = exp_ms;
            seq = ++changes_;
        } else {
            seq = changes_;  // raised by another caller whose write may not be done: wait for it, or write
        }
    }
    persist_through(seq);
    return exp_ms;
}

std::int64_t revocations::long_until_ms() const {
    std::shared_lock lock(mutex_);
    return long_until_ms_;
}

bool revocations::refused(std::string_view subject, std::string_view jti, std::int64_t iat_ms) const noexcept {
    std::shared_lock lock(mutex_);
    if (!jti.empty() && tokens_.find(jti) != tokens_.end()) return true;
    auto s = subjects_.find(subject);
    return s != subjects_.end() && iat_ms < s->second.not_before_ms;
}

std::int64_t revocations::not_before(std::string_view subject) const noexcept {
    std::shared_lock lock(mutex_);
    auto s = subjects_.find(subject);
    return s == subjects_.end() ? 0 : s->second.not_before_ms;
}

std::size_t revocations::token_ids() const {
    std::shared_lock lock(mutex_);
    return tokens_.size();
}

std::size_t revocations::subjects() const {
    std::shared_lock lock(mutex_);
    return subjects_.size();
}

void revocations::purge_locked(std::int64_t now) {
    std::erase_if(tokens_, [now](const auto& e) { return e.second <= now; });
    std::erase_if(subjects_, [now](const auto& e) { return e.second.until_ms <= now; });
}

void revocations::end_subject_locked(std::string_view subject, std::int64_t now) {
    check_subject(subject);
    // + 1: a token issued within this millisecond, before the call, is refused too. Tokens issued
    // since the last end_sessions carry an iat_ms of at least its not_before (token_service), which
    // may be ahead of the clock: the new not_before goes past that as well.
    auto it = subjects_.find(subject);
    const std::int64_t not_before = std::max(now, it == subjects_.end() ? now : it->second.not_before_ms) + 1;
    // Every token this entry concerns was issued before not_before: one of the configured ttl (or
    // shorter) expires before not_before + that ttl, a longer one by long_until_ms_.
    const subject_entry entry{not_before, std::max(not_before + ttl_ms_, long_until_ms_)};
    if (it != subjects_.end()) {
        it->second = entry;
        return;
    }
    if (subjects_.size() >= limits_.max_subjects)
        throw revocation_error("the host's table of ended sessions is full (" + std::to_string(limits_.max_subjects) +
                               " users); try again when older entries have expired");
    subjects_.emplace(std::string(subject), entry);
}

revocations::ended revocations::end_session(std::string_view subject, std::string_view jti, std::int64_t exp_s) {
    ended what = ended::token;
    std::uint64_t seq = 0;
    {
        std::lock_guard w(write_mutex_);
        const auto now = now_ms();
        std::unique_lock lock(mutex_);
        purge_locked(now);
        const bool usable_jti = !jti.empty() && jti.size() <= max_jti_bytes;
        if (usable_jti && (tokens_.contains(jti) || tokens_.size() < limits_.max_token_ids)) {
            auto& until = tokens_[std::string(jti)];
            until = std::max(until, exp_s * 1000);
        } else {
            end_subject_locked(subject, now);  // errs toward more revoked, never fewer
            what = ended::subject;
        }
        seq = ++changes_;
    }
    persist_through(seq);
    return what;
}

void revocations::end_sessions(std::string_view subject) {
    std::uint64_t seq = 0;
    {
        std::lock_guard w(write_mutex_);
        const auto now = now_ms();
        std::unique_lock lock(mutex_);
        purge_locked(now);
        end_subject_locked(subject, now);
        seq = ++changes_;
    }
    persist_through(seq);
}

void revocations::persist_through(std::uint64_t seq) {
    std::lock_guard p(persist_mutex_);
    if (persisted_ >= seq) return;  // written by a write that began after this change
    std::uint64_t upto = 0;
    std::int64_t long_until = 0;
    token_table token_copy;
    subject_table subject_copy;
    {
        std::shared_lock lock(mutex_);  // a copy only: changes wait for it, not for the JSON
        upto = changes_;
        long_until = long_until_ms_;
        token_copy = tokens_;
        subject_copy = subjects_;
    }
    nlohmann::json tokens = nlohmann::json::array(), subjects = nlohmann::json::array();
    for (const auto& [jti, until] : token_copy) tokens.push_back({{"jti", jti}, {"until_ms", until}});
    for (const auto& [sub, e] : subject_copy)
        subjects.push_back({{"sub", sub}, {"not_before_ms", e.not_before_ms}, {"until_ms", e.until_ms}});
    const auto bytes =
        nlohmann::json{{"version", file_version}, {"token_ttl_s", ttl_ms_ / 1000}, {"long_until_ms", long_until},
                       {"token_ids", std::move(tokens)}, {"subjects", std::move(subjects)}}
            .dump();
    files::write_private_file(file_, bytes);  // throws: persisted_ stays, the next change writes again
    persisted_ = upto;
    long_until_persisted_ = long_until;  // only rises: the copies are taken in order
}

}  // namespace berth::host::auth
