// Bearer tokens: HS256 JWTs the host signs for modules (users logs people in) and verifies at
// the edge for routes that declare auth. The key never leaves the host.
#pragma once

#include <berth/host/config.hpp>

#include <array>
#include <atomic>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <variant>

namespace berth::host::auth {

class revocations;

// Why a bearer token was refused, as GET /metrics counts it (a bounded set).
enum class token_refusal { missing, malformed, invalid, expired, insufficient_scope, revoked };
inline constexpr std::size_t token_refusal_kinds = 6;
const char* to_string(token_refusal r);

class token_service {
public:
    // Reads the key from cfg.secret_file, creating it (32 random bytes, hex, mode 0600) if
    // absent. Throws files::file_error naming the file if it cannot, or if the file is a link,
    // foreign-owned, or readable by group or others.
    // `revoked`: the sessions that ended (outlives this service); null: none ever end.
    explicit token_service(const auth_config& cfg, revocations* revoked = nullptr);

    struct issued {
        std::string token;
        std::int64_t expires_at;  // Unix seconds
    };
    // Throws revocation_error for a subject no end_sessions could name (revocations::check_subject),
    // files::file_error when a ttl longer than any before cannot be recorded.
    issued issue(std::string_view subject, std::string_view scope,
                 std::optional<std::uint32_t> ttl_s = std::nullopt) const;

    struct verified {
        std::string subject;
        std::string scope;  // space-separated
        std::string jti;  // the token's id; empty for a token issued before ids (issue 12)
        std::int64_t iat_ms = 0;  // issue time, Unix ms (iat_ms, else iat * 1000, else 0)
        std::int64_t exp = 0;  // Unix seconds
    };
    struct rejected {
        std::string reason;  // for the log only: a client is told "invalid_token", nothing more
        bool expired = false;  // else invalid
    };
    // The HMAC first (constant time), then alg exactly HS256, exp, nbf, iss, sub. Never throws
    // on any input.
    std::variant<verified, rejected> verify(std::string_view token) const;

    // Sessions that end (ABI 1.3). end_session: `token` must be one this service verifies; from
    // now on the edge refuses it. end_sessions: every token of `subject` issued before now is
    // refused. Both persist before returning; both throw (std::exception, message for the
    // module) when the token is not valid or the revocation cannot be recorded or kept.
    void end_session(std::string_view token) const;
    void end_sessions(std::string_view subject) const;
    // Null when this host keeps no revocations.
    const revocations* revoked() const { return revoked_; }

    // Figures for GET /metrics: tokens issued, and refusals the bearer stage counts here.
    void count_refusal(token_refusal r) const { refused_[static_cast<std::size_t>(r)].fetch_add(1, std::memory_order_relaxed); }
    std::uint64_t issued_count() const { return issued_.load(std::memory_order_relaxed); }
    std::uint64_t refused_count(token_refusal r) const {
        return refused_[static_cast<std::size_t>(r)].load(std::memory_order_relaxed);
    }

private:
    std::string key_;  // raw bytes
    std::string issuer_;
    std::uint32_t ttl_s_;
    revocations* revoked_;
    mutable std::atomic<std::uint64_t> issued_{0};
    mutable std::array<std::atomic<std::uint64_t>, token_refusal_kinds> refused_{};
};

}  // namespace berth::host::auth
