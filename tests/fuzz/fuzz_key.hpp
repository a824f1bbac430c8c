// The fixed keys every fuzz target uses, so the tokens in the seed corpora verify.
// A published test key: never use it outside tests/fuzz.
#pragma once

namespace berth::fuzz {

inline constexpr const char* token_key_hex = "6675a2e8c1d04b7f93ae5c21d7b8f04e1a6c39d2b5e7f80c4d1a2b3c4d5e6f70";
inline constexpr const char* token_issuer = "berth-fuzz";
// Written to <data_dir>/admin.token before the host starts; the admin seeds carry it.
inline constexpr const char* admin_token_hex = "3f9c2a7e51d04b8e9a6c0d1e2f3a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c";

}  // namespace berth::fuzz
