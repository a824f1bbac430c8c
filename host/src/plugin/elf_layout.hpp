// The shape of an ELF file, checked against its size before anything trusts it: Boost.DLL's
// library_info allocates and reads whatever section sizes a file claims (a 1 KB file made it
// allocate 1.2 GB; another read through a null pointer).
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace berth::host::plugin {

// Empty when `image` is a 64-bit little-endian ELF shared object whose program and section
// headers, and every section with file contents, lie inside it; otherwise what is wrong.
std::optional<std::string> check_elf_layout(std::string_view image);

}  // namespace berth::host::plugin
