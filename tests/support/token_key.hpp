// The host's token key and the encodings a hand-made JWT needs, through libsodium (as the host
// itself does): tests sign and forge tokens with the real key.
#pragma once

#include <sodium.h>

#include <cstring>
#include <filesystem>
#include <fstream>
#include <stdexcept>
#include <string>
#include <string_view>

namespace berth::test {

// base64url without padding, as JWTs use it.
inline std::string b64url(std::string_view in) {
    std::string out(sodium_base64_ENCODED_LEN(in.size(), sodium_base64_VARIANT_URLSAFE_NO_PADDING), '\0');
    sodium_bin2base64(out.data(), out.size(), reinterpret_cast<const unsigned char*>(in.data()), in.size(),
                      sodium_base64_VARIANT_URLSAFE_NO_PADDING);
    out.resize(std::strlen(out.c_str()));
    return out;
}

// The raw HMAC key from <data_dir>/token.key (hex, as the host writes it).
inline std::string token_key(const std::filesystem::path& data_dir) {
    std::ifstream in(data_dir / "token.key");
    std::string hex;
    in >> hex;
    std::string key(hex.size() / 2, '\0');
    std::size_t length = 0;
    if (sodium_hex2bin(reinterpret_cast<unsigned char*>(key.data()), key.size(), hex.data(), hex.size(), nullptr,
                       &length, nullptr) != 0 || length == 0)
        throw std::runtime_error("no hex key in " + (data_dir / "token.key").string());
    key.resize(length);
    return key;
}

}  // namespace berth::test
