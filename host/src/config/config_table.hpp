// The config file's key table, shared by the files that define its parts (config.cpp: the host,
// limits and module keys; config_process.cpp: a module's isolation and worker keys).
#pragma once

#include <nlohmann/json.hpp>

#include <filesystem>
#include <functional>
#include <type_traits>
#include <utility>

namespace berth::host::config_table {

// One key of the config file: where it sits (a JSON pointer into the top level, a module or a
// limits object), how its value is read into S, and how S shows it back. `documented`: the
// default is fixed (the schema states it), not worked out from other keys.
template <class S>
struct key {
    nlohmann::json::json_pointer at;
    std::function<void(S&, const nlohmann::json&, const std::filesystem::path& base)> read;
    std::function<nlohmann::json(const S&)> show;
    bool documented;
};

// A value json converts to the member's type as it is.
template <class S, class F>
key<S> plain(const char* at, F member, bool documented = true) {
    using T = std::remove_cvref_t<decltype(member(std::declval<S&>()))>;
    return {nlohmann::json::json_pointer(at),
            [member](S& s, const nlohmann::json& j, const std::filesystem::path&) { member(s) = j.get<T>(); },
            [member](const S& s) { return nlohmann::json(member(s)); }, documented};
}

}  // namespace berth::host::config_table

// The member a key reads and shows; #undef'd by each file once its table is built.
#define BERTH_MEMBER(m) [](auto& s) -> auto& { return s.m; }
