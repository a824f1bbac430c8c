// The Idempotency-Key fingerprint: an HMAC-SHA256, under a key only this module holds, of the
// checkout with its card replaced by a keyed reference (HMAC of number and expiry) and the CVC
// left out. Without the key file nothing in the database narrows down a card number; with it,
// same body -> same fingerprint, so a replay is recognised and a different body is refused.
//
// The key lives in its own file (<data_dir>/<module>.fingerprint.key, 0600, 32 random bytes as
// hex), not in payment.db: a copy of the database or of one of its backups then holds nothing a
// guess at a card number could be checked against.
#pragma once

#include <nlohmann/json.hpp>
#include <sodium.h>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <stdexcept>
#include <string>

namespace payment_detail {

// The prefix marks fingerprints of this form; anything else in request_hash is retired.
inline constexpr const char* fingerprint_prefix = "v2:";

class fingerprint_key {
public:
    // Reads the key file, creating it (O_EXCL, fsync, then link into place) on first start.
    // Refuses a file that is not a regular file of the right size or that others may read.
    explicit fingerprint_key(const std::filesystem::path& file) {
        if (::access(file.c_str(), F_OK) != 0) create(file);
        int fd = ::open(file.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
        if (fd < 0) throw std::runtime_error("cannot open " + file.string() + ": " + std::strerror(errno));
        struct stat st {};
        char hex[2 * crypto_auth_hmacsha256_KEYBYTES + 1] = {};
        const bool ok = ::fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && (st.st_mode & 077) == 0 &&
                        st.st_size == static_cast<off_t>(sizeof hex - 1) &&
                        ::read(fd, hex, sizeof hex - 1) == static_cast<ssize_t>(sizeof hex - 1);
        ::close(fd);
        if (!ok || sodium_hex2bin(key_.data(), key_.size(), hex, sizeof hex - 1, nullptr, nullptr, nullptr) != 0)
            throw std::runtime_error(file.string() + " must be a regular file of mode 0600 holding 64 hex digits");
        sodium_memzero(hex, sizeof hex);
    }
    ~fingerprint_key() { sodium_memzero(key_.data(), key_.size()); }
    fingerprint_key(const fingerprint_key&) = delete;
    fingerprint_key& operator=(const fingerprint_key&) = delete;

    std::string hmac_hex(const std::string& text) const {
        unsigned char mac[crypto_auth_hmacsha256_BYTES];
        crypto_auth_hmacsha256(mac, reinterpret_cast<const unsigned char*>(text.data()), text.size(), key_.data());
        char hex[2 * sizeof mac + 1];
        sodium_bin2hex(hex, sizeof hex, mac, sizeof mac);
        return hex;
    }

    // The fingerprint of a checkout body (already validated against the route's schema).
    std::string of(const nlohmann::json& body) const {
        const auto& card = body.at("card");
        // Domain-separated inputs, so a card reference can never equal a request fingerprint.
        const std::string card_ref = hmac_hex("card\n" + card.at("number").get<std::string>() + "\n" +
                                              std::to_string(card.at("exp_month").get<int>()) + "\n" +
                                              std::to_string(card.at("exp_year").get<int>()));
        nlohmann::json canonical = {{"items", body.at("items")}, {"card", {{"ref", card_ref}}}};
        return fingerprint_prefix + hmac_hex("checkout\n" + canonical.dump());
    }

    // The fingerprint of what a refund asked for (refunds.hpp gives it in one canonical form).
    std::string of_refund(const nlohmann::json& asked) const {
        return fingerprint_prefix + hmac_hex("refund\n" + asked.dump());
    }

    static bool same(const std::string& a, const std::string& b) {
        return a.size() == b.size() && sodium_memcmp(a.data(), b.data(), a.size()) == 0;
    }

private:
    static void create(const std::filesystem::path& file) {
        unsigned char raw[crypto_auth_hmacsha256_KEYBYTES];
        crypto_auth_hmacsha256_keygen(raw);
        char hex[2 * sizeof raw + 1];
        sodium_bin2hex(hex, sizeof hex, raw, sizeof raw);
        sodium_memzero(raw, sizeof raw);
        char suffix[17];
        unsigned char r[8];
        randombytes_buf(r, sizeof r);
        sodium_bin2hex(suffix, sizeof suffix, r, sizeof r);
        const std::string temp = file.string() + ".tmp-" + suffix;
        int fd = ::open(temp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
        if (fd < 0) throw std::runtime_error("cannot create " + temp + ": " + std::strerror(errno));
        const bool written = ::write(fd, hex, sizeof hex - 1) == static_cast<ssize_t>(sizeof hex - 1) && ::fsync(fd) == 0;
        ::close(fd);
        sodium_memzero(hex, sizeof hex);
        // link() never replaces: if another generation made the key first, its key wins.
        const bool linked = written && (::link(temp.c_str(), file.c_str()) == 0 || errno == EEXIST);
        ::unlink(temp.c_str());
        if (!linked) throw std::runtime_error("cannot create " + file.string() + ": " + std::strerror(errno));
        int dir = ::open(file.parent_path().c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (dir >= 0) {
            ::fsync(dir);
            ::close(dir);
        }
    }

    std::array<unsigned char, crypto_auth_hmacsha256_KEYBYTES> key_{};
};

}  // namespace payment_detail
