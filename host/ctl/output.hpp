// What every berthctl command shares: the client, the output mode, and how answers are shown.
#pragma once

#include "admin_client.hpp"
#include "token.hpp"

#include <nlohmann/json.hpp>

#include <iosfwd>
#include <string>
#include <string_view>
#include <vector>

namespace berth::ctl {

// Exit codes (docs/operations.md, "## berthctl"): scripts rely on them.
enum exit_code : int { done = 0, refused = 1, usage = 2, unreachable_code = 3 };

struct context {
    admin_client client;
    token_lookup token;
    bool json = false;  // raw JSON on stdout for scripts
    std::ostream& out;
    std::ostream& err;
};

// Left-aligned columns, two spaces apart; cells but the last are cut at 60 characters.
struct table {
    std::vector<std::string> header;
    std::vector<std::vector<std::string>> rows;
    void print(std::ostream& out) const;
};

// Server or plugin text made safe for a terminal: C0 and C1 controls (ESC, CSI, OSC...), DEL,
// U+2028/U+2029 and bytes that are not UTF-8 become '?', line breaks and tabs a space.
std::string terminal_safe(std::string_view text);

// A JSON value as a table cell (terminal_safe): strings as they are, null as "-", booleans yes/no.
std::string cell(const nlohmann::json& v);
// The member `key` of `object` as a cell ("-" when absent).
std::string cell(const nlohmann::json& object, const char* key);

// The answer's body as JSON; throws unreachable when a 2xx answer is not JSON.
nlohmann::json json_of(const answer& a);

// A 4xx/5xx answer: its problem (title, detail, step, reason, errors...) on stderr, or the raw
// body on stdout with --json. Returns exit_code::refused.
int show_refusal(const context& c, const answer& a);

// A successful JSON answer: raw with --json, every non-ASCII character escaped (returns true: nothing more to print).
bool printed_raw(const context& c, const answer& a);

}  // namespace berth::ctl
