// The config file's keys as one table (config.cpp): where each key sits, how it is read, and
// the C++ default it falls back on. These views of the table let tests hold the JSON Schema's
// `default`s to the C++ ones.
#pragma once

#include <berth/host/config.hpp>

#include <nlohmann/json.hpp>

namespace berth::host {

// Every key with a fixed default, at its place in a config document, with that default. A
// module's keys sit under "/modules/*". Keys whose default is worked out from others (a
// module's database, the token files, limits.max_in_flight) are left out.
nlohmann::json documented_defaults();

// A config as a document of the same keys (paths absolute, modules by name).
nlohmann::json as_document(const config& c);

}  // namespace berth::host
