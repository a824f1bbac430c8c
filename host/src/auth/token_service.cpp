#include "auth/token_service.hpp"

#include <jwt/jwt.hpp>
#include <sodium.h>
#include <spdlog/spdlog.h>

#include <sys/stat.h>

#include <chrono>
#include <fstream>
#include <sstream>

namespace berth::host::auth {

namespace fs = std::filesystem;

namespace {

std::string to_hex(const unsigned char* p, std::size_t n) {
    static const char* hex = "0123456789abcdef";
    std::string out;
    for (std::size_t i = 0; i < n; ++i) {
        out += hex[p[i] >> 4];
        out += hex[p[i] & 15];
    }
    return out;
}

std::string read_or_create_key(const fs::path& file) {
    std::error_code ec;
    if (!fs::exists(file, ec)) {
        fs::create_directories(file.parent_path(), ec);
        unsigned char raw[32];
        randombytes_buf(raw, sizeof raw);
        auto tmp = file;
        tmp += ".tmp";
        {
            std::ofstream out(tmp, std::ios::trunc);
            out << to_hex(raw, sizeof raw) << "\n";
            if (!out) throw std::runtime_error("cannot write the token key " + tmp.string());
        }
        ::chmod(tmp.c_str(), 0600);
        fs::rename(tmp, file, ec);
        if (ec) throw std::runtime_error("cannot create the token key " + file.string() + ": " + ec.message());
        spdlog::info("created token signing key {} (mode 0600)", file.string());
    }
    struct stat st {};
    if (::stat(file.c_str(), &st) == 0 && (st.st_mode & 0077))
        spdlog::warn("token key {} is readable by group or others; chmod 600 it", file.string());
    std::ifstream in(file);
    std::stringstream text;
    text << in.rdbuf();
    std::string hex = text.str();
    while (!hex.empty() && std::isspace(static_cast<unsigned char>(hex.back()))) hex.pop_back();
    std::string key(hex.size() / 2, '\0');
    std::size_t len = 0;
    if (!in || hex.size() < 64 ||
        sodium_hex2bin(reinterpret_cast<unsigned char*>(key.data()), key.size(), hex.data(), hex.size(), nullptr, &len,
                       nullptr) != 0 ||
        len != hex.size() / 2)
        throw std::runtime_error("token key " + file.string() + " must hold at least 32 bytes as hex");
    key.resize(len);
    return key;
}

std::string base64url_decode(std::string_view in) {
    std::string out(in.size(), '\0');
    std::size_t len = 0;
    if (sodium_base642bin(reinterpret_cast<unsigned char*>(out.data()), out.size(), in.data(), in.size(), nullptr, &len,
                          nullptr, sodium_base64_VARIANT_URLSAFE_NO_PADDING) != 0)
        return {};
    out.resize(len);
    return out;
}

}  // namespace

token_service::token_service(const auth_config& cfg)
    : key_(read_or_create_key(cfg.secret_file)), issuer_(cfg.issuer), ttl_s_(cfg.token_ttl_s) {}

token_service::issued token_service::issue(std::string_view subject, std::string_view scope) const {
    auto now = std::chrono::system_clock::now();
    auto iat = std::chrono::duration_cast<std::chrono::seconds>(now.time_since_epoch()).count();
    auto exp = iat + ttl_s_;
    jwt::jwt_object obj{jwt::params::algorithm("HS256"), jwt::params::secret(key_)};
    obj.add_claim("sub", std::string(subject))
        .add_claim("iss", issuer_)
        .add_claim("iat", iat)
        .add_claim("exp", exp)
        .add_claim("scope", std::string(scope));
    return {obj.signature(), exp};
}

std::variant<token_service::verified, token_service::rejected> token_service::verify(std::string_view token) const {
    // The header first, ourselves: exactly HS256, whatever a library would tolerate.
    auto dot = token.find('.');
    if (dot == std::string_view::npos || token.find('.', dot + 1) == std::string_view::npos)
        return rejected{"the token is not a JWT"};
    auto header = nlohmann::json::parse(base64url_decode(token.substr(0, dot)), nullptr, false);
    if (!header.is_object() || header.value("alg", "") != "HS256") return rejected{"the token's alg must be HS256"};

    std::error_code ec;
    auto decoded = jwt::decode(jwt::string_view(token.data(), token.size()), jwt::params::algorithms({"HS256"}), ec,
                               jwt::params::secret(key_), jwt::params::issuer(issuer_), jwt::params::verify(true));
    if (ec) return rejected{ec.message()};
    auto& payload = decoded.payload();
    if (!payload.has_claim("exp")) return rejected{"the token has no exp"};
    if (!payload.has_claim("sub")) return rejected{"the token has no sub"};
    if (!payload.has_claim("iss")) return rejected{"the token has no iss"};
    auto json = payload.create_json_obj();
    verified v;
    v.subject = json["sub"].is_string() ? json["sub"].get<std::string>() : json["sub"].dump();
    v.scope = json.value("scope", "");
    return v;
}

}  // namespace berth::host::auth
