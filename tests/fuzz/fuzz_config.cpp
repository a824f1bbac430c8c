// Config parsing and validation: any text an operator (or a bad deploy) puts in berth.json.
#include <berth/host/config.hpp>

#include <cstddef>
#include <cstdint>
#include <string_view>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    // parse_config reads no file: relative paths only resolve against this (absent) directory.
    auto result = berth::host::parse_config(std::string_view(reinterpret_cast<const char*>(data), size),
                                            "/nonexistent/berth-fuzz");
    if (!result.value && result.errors.empty()) __builtin_trap();  // refused without a reason
    return 0;
}
