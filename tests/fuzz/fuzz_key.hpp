// The fixed token key and issuer every fuzz target uses, so seed tokens in the corpora verify.
// A published test key: never use it outside tests/fuzz.
#pragma once

namespace berth::fuzz {

inline constexpr const char* token_key_hex = "6675a2e8c1d04b7f93ae5c21d7b8f04e1a6c39d2b5e7f80c4d1a2b3c4d5e6f70";
inline constexpr const char* token_issuer = "berth-fuzz";

}  // namespace berth::fuzz
