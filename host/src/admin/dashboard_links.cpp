#include "admin/dashboard_links.hpp"

#include <sodium.h>

#include <algorithm>

namespace berth::host::admin {

namespace {

std::string sha256(std::string_view text) {
    std::string out(crypto_hash_sha256_BYTES, '\0');
    crypto_hash_sha256(reinterpret_cast<unsigned char*>(out.data()), reinterpret_cast<const unsigned char*>(text.data()),
                       text.size());
    return out;
}

bool is_lower_hex(std::string_view s) {
    return std::all_of(s.begin(), s.end(), [](char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); });
}

}  // namespace

dashboard_links::dashboard_links(std::function<clock::time_point()> now) : now_(std::move(now)) {}

void dashboard_links::drop_expired(clock::time_point now) {
    std::erase_if(entries_, [now](const entry& e) { return e.expires <= now; });
}

std::optional<std::string> dashboard_links::issue() {
    unsigned char bytes[code_length / 2];
    randombytes_buf(bytes, sizeof bytes);
    std::string code(code_length + 1, '\0');
    sodium_bin2hex(code.data(), code.size(), bytes, sizeof bytes);
    code.resize(code_length);
    sodium_memzero(bytes, sizeof bytes);

    std::lock_guard lock(mutex_);
    const auto now = now_();
    drop_expired(now);
    if (entries_.size() >= max_outstanding) return std::nullopt;
    entries_.push_back({sha256(code), now + lifetime});
    return code;
}

bool dashboard_links::redeem(std::string_view code) {
    if (code.size() != code_length || !is_lower_hex(code)) return false;
    const auto digest = sha256(code);
    std::lock_guard lock(mutex_);
    drop_expired(now_());
    // Every entry is compared, in constant time each: the answer's timing says nothing of which.
    auto found = entries_.end();
    for (auto it = entries_.begin(); it != entries_.end(); ++it)
        if (sodium_memcmp(it->digest.data(), digest.data(), digest.size()) == 0) found = it;
    if (found == entries_.end()) return false;
    entries_.erase(found);
    return true;
}

}  // namespace berth::host::admin
