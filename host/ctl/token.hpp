// Where berthctl finds the admin token. The token is never taken from argv (ps shows argv).
#pragma once

#include <optional>
#include <string>
#include <vector>

namespace berth::ctl {

struct token_lookup {
    std::string token;                // empty when none was found
    std::string source;               // "BERTH_ADMIN_TOKEN", or the file it came from
    std::vector<std::string> looked;  // where it looked, for the message when the API answers 401
};

// In order: the --token-file given (an error if unreadable), BERTH_ADMIN_TOKEN,
// /var/lib/berth/admin.token if readable, ./var/admin.token. Throws std::runtime_error when an
// explicitly named file cannot be read or holds no token.
token_lookup find_token(const std::optional<std::string>& token_file);

}  // namespace berth::ctl
