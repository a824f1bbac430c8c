#include "plugin/elf_layout.hpp"

#include <elf.h>

#include <cstdint>
#include <cstring>

namespace berth::host::plugin {

namespace {

// offset + count * entry <= size, without overflow.
bool fits(std::uint64_t offset, std::uint64_t count, std::uint64_t entry, std::uint64_t size) {
    if (offset > size) return false;
    if (entry != 0 && count > (size - offset) / entry) return false;
    return true;
}

}  // namespace

std::optional<std::string> check_elf_layout(std::string_view image) {
    Elf64_Ehdr eh;
    if (image.size() < sizeof eh) return "shorter than an ELF header";
    std::memcpy(&eh, image.data(), sizeof eh);
    if (std::memcmp(eh.e_ident, ELFMAG, SELFMAG) != 0) return "not an ELF file";
    if (eh.e_ident[EI_CLASS] != ELFCLASS64 || eh.e_ident[EI_DATA] != ELFDATA2LSB)
        return "not a 64-bit little-endian ELF file";
    if (eh.e_type != ET_DYN) return "not a shared object (ELF type " + std::to_string(eh.e_type) + ")";
    const std::uint64_t size = image.size();
    if (eh.e_phnum && (eh.e_phentsize != sizeof(Elf64_Phdr) || !fits(eh.e_phoff, eh.e_phnum, sizeof(Elf64_Phdr), size)))
        return "its program headers lie outside the file";
    if (eh.e_shnum == 0) return "it has no section headers";
    if (eh.e_shentsize != sizeof(Elf64_Shdr) || !fits(eh.e_shoff, eh.e_shnum, sizeof(Elf64_Shdr), size))
        return "its section headers lie outside the file";
    if (eh.e_shstrndx >= eh.e_shnum) return "its section name table index is out of range";
    for (std::uint64_t i = 0; i < eh.e_shnum; ++i) {
        Elf64_Shdr sh;
        std::memcpy(&sh, image.data() + eh.e_shoff + i * sizeof sh, sizeof sh);
        // The section name table is read by its index, whatever type it claims.
        if (i == eh.e_shstrndx && sh.sh_type != SHT_STRTAB) return "its section name table is not a string table";
        if (sh.sh_type == SHT_NOBITS) continue;
        if (!fits(sh.sh_offset, 1, sh.sh_size, size))
            return "section " + std::to_string(i) + " lies outside the file";
        // Boost.DLL reads a symbol table as whole entries and indexes the first of them: one
        // shorter than an entry is undefined behaviour there (found by the fuzzer).
        if ((sh.sh_type == SHT_SYMTAB || sh.sh_type == SHT_DYNSYM) && sh.sh_size % sizeof(Elf64_Sym) != 0)
            return "section " + std::to_string(i) + " is a symbol table of a partial entry";
    }
    return std::nullopt;
}

}  // namespace berth::host::plugin
