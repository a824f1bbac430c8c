// Bearer tokens: HS256 JWTs the host signs for modules (users logs people in) and verifies at
// the edge for routes that declare auth. The key never leaves the host.
#pragma once

#include <berth/host/config.hpp>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <variant>

namespace berth::host::auth {

class token_service {
public:
    // Reads the key from cfg.secret_file, creating it (32 random bytes, hex, mode 0600) if
    // absent. Throws files::file_error naming the file if it cannot, or if the file is a link,
    // foreign-owned, or readable by group or others.
    explicit token_service(const auth_config& cfg);

    struct issued {
        std::string token;
        std::int64_t expires_at;  // Unix seconds
    };
    issued issue(std::string_view subject, std::string_view scope,
                 std::optional<std::uint32_t> ttl_s = std::nullopt) const;

    struct verified {
        std::string subject;
        std::string scope;  // space-separated
    };
    struct rejected {
        std::string reason;  // for the log only: a client is told "invalid_token", nothing more
    };
    // The HMAC first (constant time), then alg exactly HS256, exp, nbf, iss, sub. Never throws
    // on any input.
    std::variant<verified, rejected> verify(std::string_view token) const;

private:
    std::string key_;  // raw bytes
    std::string issuer_;
    std::uint32_t ttl_s_;
};

}  // namespace berth::host::auth
