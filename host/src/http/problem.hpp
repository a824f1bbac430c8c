// RFC 9457 problem details: the body of every error the host answers.
#pragma once

#include "http/message.hpp"

#include <nlohmann/json_fwd.hpp>

#include <string>
#include <string_view>

namespace berth::host::http {

// {type, title, status, detail?, ...extra} as application/problem+json. `extra` must be
// a JSON object (or null); its members are merged in (for example "errors").
response problem(int status, std::string_view detail = {});
response problem(int status, std::string_view detail, const nlohmann::json& extra);

// application/json with a dumped body.
response json_response(int status, const nlohmann::json& body);

// JSON text that cannot throw: bytes that are not UTF-8 (from a client's path, a plugin's
// message) are replaced with U+FFFD instead of making dump() throw type_error 316.
std::string json_text(const nlohmann::json& value);

}  // namespace berth::host::http
