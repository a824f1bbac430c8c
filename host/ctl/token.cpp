#include "token.hpp"

#include <cstdlib>
#include <fstream>
#include <stdexcept>

namespace berth::ctl {

namespace {

constexpr std::size_t max_token_bytes = 4096;  // the host writes 64 hex characters

std::string trimmed(std::string s) {
    const char* space = " \t\r\n";
    s.erase(0, s.find_first_not_of(space));
    auto end = s.find_last_not_of(space);
    s.erase(end == std::string::npos ? 0 : end + 1);
    return s;
}

// The first line of `path`, trimmed; nullopt when it cannot be opened.
std::optional<std::string> read_token_file(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) return std::nullopt;
    std::string text(max_token_bytes + 1, '\0');
    in.read(text.data(), static_cast<std::streamsize>(text.size()));
    text.resize(static_cast<std::size_t>(in.gcount()));
    if (text.size() > max_token_bytes) throw std::runtime_error("the token file " + path + " is larger than 4 KiB");
    auto line = text.substr(0, text.find('\n'));
    return trimmed(line);
}

}  // namespace

token_lookup find_token(const std::optional<std::string>& token_file) {
    token_lookup found;
    if (token_file) {
        auto t = read_token_file(*token_file);
        if (!t) throw std::runtime_error("cannot read the token file " + *token_file);
        if (t->empty()) throw std::runtime_error("the token file " + *token_file + " holds no token");
        return {*t, *token_file, {*token_file}};
    }
    found.looked.push_back("BERTH_ADMIN_TOKEN");
    if (const char* env = std::getenv("BERTH_ADMIN_TOKEN"); env && *env) {
        found.token = trimmed(env);
        found.source = "BERTH_ADMIN_TOKEN";
        if (found.token.size() > max_token_bytes) throw std::runtime_error("BERTH_ADMIN_TOKEN is longer than 4 KiB");
        return found;
    }
    for (const char* path : {"/var/lib/berth/admin.token", "./var/admin.token"}) {
        found.looked.emplace_back(path);
        if (auto t = read_token_file(path); t && !t->empty()) {
            found.token = *t;
            found.source = path;
            return found;
        }
    }
    return found;
}

}  // namespace berth::ctl
