// Typed reads of a message's fields. The host is trusted, but a field of the wrong type is
// answered (ok:false) rather than crashed on: bad_field carries the text for that answer.
#pragma once

#include <nlohmann/json.hpp>

#include <cstdint>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

namespace berth::worker {

struct bad_field : std::runtime_error {
    using std::runtime_error::runtime_error;
};

using pair_list = std::vector<std::pair<std::string, std::string>>;

// A missing field reads as empty (or `otherwise`); a present one of another type throws.
std::string text_field(const nlohmann::json& m, const char* key);
std::int64_t int_field(const nlohmann::json& m, const char* key, std::int64_t otherwise = 0);
// MessagePack bin (a str is accepted too).
std::string bytes_field(const nlohmann::json& m, const char* key);
// [[name, value], ...] of strs.
pair_list pairs_field(const nlohmann::json& m, const char* key);

// The bin a message carries for `bytes`.
nlohmann::json binary(const std::string& bytes);
nlohmann::json pairs_json(const pair_list& pairs);

}  // namespace berth::worker
