// The plugin checks that run before dlopen, on arbitrary files: read_library (policy, the ELF
// magic and the hash), the layout check and symbol table inspection plugin_library::open does, and check_descriptor on
// a descriptor whose fields come from the input. Fuzz input is never dlopen-ed.
#include "deploy/library_file.hpp"
#include "plugin/elf_layout.hpp"
#include "plugin/plugin_library.hpp"

#include <berth/abi.h>
#include <boost/dll/library_info.hpp>
#include <fuzzer/FuzzedDataProvider.h>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <variant>

namespace {

namespace fs = std::filesystem;
namespace plugin = berth::host::plugin;

fs::path file;

// Stand-ins for entry points: check_descriptor only looks at whether they are set.
int fake_create(const berth_host_api*, const berth_create_args*, void**, const berth_writer*) { return 0; }
int fake_describe(void*, const berth_writer*, const berth_writer*) { return 0; }
int fake_start(void*, const berth_writer*) { return 0; }
int fake_handle(void*, const berth_request*, const berth_response_writer*, const berth_writer*) { return 0; }
void fake_stop(void*) {}

void inspect_file(const std::uint8_t* data, std::size_t size) {
    {
        std::ofstream out(file, std::ios::binary | std::ios::trunc);
        out.write(reinterpret_cast<const char*>(data), static_cast<std::streamsize>(size));
    }
    static const auto policy = berth::host::deploy::make_policy({file.parent_path()}, 256ull << 20);
    auto image = berth::host::deploy::read_library(file, policy);
    if (std::holds_alternative<plugin::load_failure>(image)) return;
    // As plugin_library::open does before it loads anything.
    if (plugin::check_elf_layout(std::get<plugin::file_image>(image).bytes)) return;
    try {
        boost::dll::library_info info(file);
        auto symbols = info.symbols();
        (void)std::find(symbols.begin(), symbols.end(), BERTH_DESCRIPTOR_SYMBOL);
    } catch (const std::exception&) {
    }
}

void check_fields(const std::uint8_t* data, std::size_t size) {
    FuzzedDataProvider in(data, size);
    berth_plugin_descriptor d{};
    d.abi_major = in.ConsumeBool() ? BERTH_ABI_MAJOR : in.ConsumeIntegral<std::uint32_t>();
    d.abi_minor = in.ConsumeIntegral<std::uint32_t>();
    d.struct_size = in.ConsumeBool() ? sizeof(berth_plugin_descriptor) : in.ConsumeIntegral<std::uint32_t>();
    const auto presence = in.ConsumeIntegral<std::uint16_t>();  // which pointers are set
    std::string fingerprint = in.ConsumeRandomLengthString(512);
    std::string name = in.ConsumeRandomLengthString(64);
    std::string version = in.ConsumeRandomLengthString(64);
    d.fingerprint = (presence & 1) ? nullptr : fingerprint.c_str();
    d.name = (presence & 2) ? nullptr : name.c_str();
    d.version = (presence & 4) ? nullptr : version.c_str();
    d.create = (presence & 8) ? nullptr : fake_create;
    d.describe = (presence & 16) ? nullptr : fake_describe;
    d.start = (presence & 32) ? nullptr : fake_start;
    d.ready = (presence & 64) ? nullptr : fake_start;
    d.handle = (presence & 128) ? nullptr : fake_handle;
    d.stop = (presence & 256) ? nullptr : fake_stop;
    d.destroy = (presence & 512) ? nullptr : fake_stop;
    (void)plugin::check_descriptor(d);
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
    std::string tpl = (fs::temp_directory_path() / "berth-fuzz-plugin-XXXXXX").string();
    if (!mkdtemp(tpl.data())) std::abort();
    file = fs::path(tpl) / "candidate.so";
    std::atexit([] {
        std::error_code ec;
        fs::remove_all(file.parent_path(), ec);
    });
    return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    inspect_file(data, size);
    check_fields(data, size);
    return 0;
}
