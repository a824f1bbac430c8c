// Request ids: every answer carries X-Request-Id, refusals at the edge included.
#pragma once

#include <string>
#include <string_view>

namespace berth::host::http {

// The client's X-Request-Id when it is short and plain (letters, digits, - _ . :, at most 128);
// otherwise a new one: unique in this process, not secret.
std::string request_id_for(std::string_view given);

}  // namespace berth::host::http
