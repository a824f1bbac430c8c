#include "auth/token_service.hpp"

#include "auth/revocations.hpp"

#include "files/private_file.hpp"

#include <jwt/jwt.hpp>
#include <sodium.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <limits>
#include <stdexcept>

namespace berth::host::auth {

namespace {

std::string key_from_hex(const std::string& hex, const std::filesystem::path& file) {
    std::string key(hex.size() / 2, '\0');
    std::size_t len = 0;
    if (hex.size() < 64 ||
        sodium_hex2bin(reinterpret_cast<unsigned char*>(key.data()), key.size(), hex.data(), hex.size(), nullptr, &len,
                       nullptr) != 0 ||
        len != hex.size() / 2)
        throw files::file_error("token key " + file.string() + " must hold at least 32 bytes as hex");
    key.resize(len);
    return key;
}

// Empty on malformed input (which no valid token has).
std::string base64url_decode(std::string_view in) {
    std::string out(in.size(), '\0');
    std::size_t len = 0;
    if (in.empty() || sodium_base642bin(reinterpret_cast<unsigned char*>(out.data()), out.size(), in.data(), in.size(),
                                        nullptr, &len, nullptr, sodium_base64_VARIANT_URLSAFE_NO_PADDING) != 0)
        return {};
    out.resize(len);
    return out;
}

constexpr std::size_t max_token_bytes = 8192;

}  // namespace

const char* to_string(token_refusal r) {
    switch (r) {
        case token_refusal::missing: return "missing";
        case token_refusal::malformed: return "malformed";
        case token_refusal::invalid: return "invalid";
        case token_refusal::expired: return "expired";
        case token_refusal::insufficient_scope: return "insufficient_scope";
        case token_refusal::revoked: return "revoked";
    }
    return "invalid";
}

token_service::token_service(const auth_config& cfg, revocations* revoked)
    : key_(key_from_hex(files::load_or_create_secret(cfg.secret_file, "token signing key"), cfg.secret_file)),
      issuer_(cfg.issuer),
      ttl_s_(cfg.token_ttl_s),
      revoked_(revoked) {}

token_service::issued token_service::issue(std::string_view subject, std::string_view scope,
                                           std::optional<std::uint32_t> ttl_s) const {
    // Only subjects an end_sessions could name; the ttl noted before the token exists (and before
    // the subject's not_before is read), so that a later end_sessions keeps its entry as long as
    // this token lives: its exp does not pass what was noted.
    revocations::check_subject(subject);
    const std::uint32_t ttl = ttl_s.value_or(ttl_s_);
    const std::int64_t exp_cap_ms = revoked_ ? revoked_->note_ttl(ttl) : std::numeric_limits<std::int64_t>::max();
    auto now = std::chrono::system_clock::now();
    auto iat_ms = std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count();
    // Not before the subject's not_before: a token issued in the very millisecond after
    // end_sessions is not refused with the ones it ended (those are below not_before).
    if (revoked_) iat_ms = std::max<std::int64_t>(iat_ms, revoked_->not_before(subject));
    auto iat = iat_ms / 1000;
    // At most a second (or the note's write) short of ttl: only when a second began since the note.
    auto exp = std::min<std::int64_t>(iat + ttl, exp_cap_ms / 1000);
    unsigned char id[16];
    randombytes_buf(id, sizeof id);
    char jti[sizeof id * 2 + 1];
    sodium_bin2hex(jti, sizeof jti, id, sizeof id);
    jwt::jwt_object obj{jwt::params::algorithm("HS256"), jwt::params::secret(key_)};
    obj.add_claim("sub", std::string(subject))
        .add_claim("iss", issuer_)
        .add_claim("iat", iat)
        .add_claim("iat_ms", iat_ms)
        .add_claim("jti", std::string(jti))
        .add_claim("exp", exp)
        .add_claim("scope", std::string(scope));
    auto signed_token = obj.signature();
    issued_.fetch_add(1, std::memory_order_relaxed);
    return {std::move(signed_token), exp};
}

std::variant<token_service::verified, token_service::rejected> token_service::verify(std::string_view token) const {
    if (token.size() > max_token_bytes) return rejected{"longer than 8 KiB"};
    const auto dot1 = token.find('.');
    const auto dot2 = dot1 == std::string_view::npos ? dot1 : token.find('.', dot1 + 1);
    if (dot2 == std::string_view::npos || token.find('.', dot2 + 1) != std::string_view::npos)
        return rejected{"not three dot-separated parts"};

    // The signature before anything else, in constant time: no claim of a forged token is read.
    const std::string signature = base64url_decode(token.substr(dot2 + 1));
    if (signature.size() != crypto_auth_hmacsha256_BYTES) return rejected{"the signature is not an HS256 MAC"};
    crypto_auth_hmacsha256_state state;
    unsigned char mac[crypto_auth_hmacsha256_BYTES];
    const std::string_view signed_part = token.substr(0, dot2);
    crypto_auth_hmacsha256_init(&state, reinterpret_cast<const unsigned char*>(key_.data()), key_.size());
    crypto_auth_hmacsha256_update(&state, reinterpret_cast<const unsigned char*>(signed_part.data()), signed_part.size());
    crypto_auth_hmacsha256_final(&state, mac);
    if (sodium_memcmp(mac, signature.data(), sizeof mac) != 0) return rejected{"bad signature"};

    // Signed by us; still check what it says, without trusting its shapes.
    auto header = nlohmann::json::parse(base64url_decode(token.substr(0, dot1)), nullptr, false);
    if (!header.is_object()) return rejected{"the header is not a JSON object"};
    auto alg = header.find("alg");
    if (alg == header.end() || !alg->is_string() || *alg != "HS256") return rejected{"alg is not HS256"};
    if (auto typ = header.find("typ"); typ != header.end() && (!typ->is_string() || *typ != "JWT"))
        return rejected{"typ is not JWT"};

    auto payload = nlohmann::json::parse(base64url_decode(token.substr(dot1 + 1, dot2 - dot1 - 1)), nullptr, false);
    if (!payload.is_object()) return rejected{"the payload is not a JSON object"};
    const auto now = std::chrono::duration_cast<std::chrono::seconds>(
                         std::chrono::system_clock::now().time_since_epoch())
                         .count();
    auto exp = payload.find("exp");
    if (exp == payload.end() || !exp->is_number_integer()) return rejected{"no integer exp"};
    if (exp->get<std::int64_t>() <= now) return rejected{"expired", true};
    if (auto nbf = payload.find("nbf"); nbf != payload.end()) {
        if (!nbf->is_number_integer()) return rejected{"nbf is not an integer"};
        if (nbf->get<std::int64_t>() > now) return rejected{"not valid yet (nbf)"};
    }
    auto iss = payload.find("iss");
    if (iss == payload.end() || !iss->is_string() || *iss != issuer_) return rejected{"wrong or missing iss"};
    auto sub = payload.find("sub");
    if (sub == payload.end() || !sub->is_string() || sub->get_ref<const std::string&>().empty())
        return rejected{"no sub"};
    verified v;
    v.subject = sub->get<std::string>();
    v.exp = exp->get<std::int64_t>();
    if (auto jti = payload.find("jti"); jti != payload.end()) {
        if (!jti->is_string()) return rejected{"jti is not a string"};
        v.jti = jti->get<std::string>();
    }
    if (auto ms = payload.find("iat_ms"); ms != payload.end()) {
        if (!ms->is_number_integer()) return rejected{"iat_ms is not an integer"};
        v.iat_ms = ms->get<std::int64_t>();
    } else if (auto iat = payload.find("iat"); iat != payload.end() && iat->is_number_integer()) {
        // A token from before iat_ms: its second, in ms (a saturated product for absurd values).
        const auto s = iat->get<std::int64_t>();
        v.iat_ms = s > INT64_MAX / 1000 ? INT64_MAX : s < INT64_MIN / 1000 ? INT64_MIN : s * 1000;
    }
    if (auto scope = payload.find("scope"); scope != payload.end()) {
        if (!scope->is_string()) return rejected{"scope is not a string"};
        v.scope = scope->get<std::string>();
    }
    return v;
}

void token_service::end_session(std::string_view token) const {
    if (!revoked_) throw std::runtime_error("this host keeps no ended sessions");
    auto verdict = verify(token);
    if (auto* no = std::get_if<rejected>(&verdict)) {
        // Its signature held and only its time ran out: every edge refuses it already, so the
        // session is ended (a log-out racing the expiry succeeds) and there is nothing to keep.
        if (no->expired) return;
        throw std::runtime_error("not a valid token of this host");
    }
    const auto& ok = std::get<verified>(verdict);
    if (ok.jti.empty()) revoked_->end_sessions(ok.subject);  // an older token: no id to name it by
    else revoked_->end_session(ok.subject, ok.jti, ok.exp);
}

void token_service::end_sessions(std::string_view subject) const {
    if (!revoked_) throw std::runtime_error("this host keeps no ended sessions");
    revoked_->end_sessions(subject);
}

}  // namespace berth::host::auth
