#include "plugin/plugin_library.hpp"

#include "files/private_file.hpp"
#include "isolate/isolated_plugin.hpp"
#include "plugin/elf_layout.hpp"

#include <boost/dll/library_info.hpp>
#include <boost/dll/shared_library.hpp>
#include <sodium.h>

#include <dlfcn.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <map>
#include <sstream>

namespace berth::host::plugin {

namespace fs = std::filesystem;

struct plugin_library::impl {
    boost::dll::shared_library lib;
};

std::string sha256_hex(std::string_view bytes) {
    unsigned char digest[crypto_hash_sha256_BYTES];
    crypto_hash_sha256(digest, reinterpret_cast<const unsigned char*>(bytes.data()), bytes.size());
    char hex[2 * crypto_hash_sha256_BYTES + 1];
    sodium_bin2hex(hex, sizeof hex, digest, sizeof digest);
    return hex;
}

bool is_mapped(const fs::path& path) {
    std::ifstream maps("/proc/self/maps");
    std::string line;
    const std::string needle = path.string();
    while (std::getline(maps, line)) {
        if (line.size() >= needle.size() && line.compare(line.size() - needle.size(), needle.size(), needle) == 0)
            return true;
    }
    return false;
}

namespace {

std::map<std::string, std::string> parse_fingerprint(std::string_view text) {
    std::map<std::string, std::string> out;
    while (!text.empty()) {
        auto semi = text.find(';');
        auto part = text.substr(0, semi);
        text = semi == std::string_view::npos ? std::string_view{} : text.substr(semi + 1);
        auto eq = part.find('=');
        if (eq != std::string_view::npos) out.emplace(part.substr(0, eq), part.substr(eq + 1));
    }
    return out;
}

// "0.1.0" -> "0.1" (0.x: minor is breaking), "1.4.2" -> "1".
std::string sdk_line(const std::string& v) {
    auto dot = v.find('.');
    if (dot == std::string::npos) return v;
    if (v.compare(0, dot, "0") != 0) return v.substr(0, dot);
    auto dot2 = v.find('.', dot + 1);
    return v.substr(0, dot2);
}

// Both reach logs, the admin API and operators' terminals.
bool printable_ascii(const char* text) {
    std::size_t n = 0;
    for (; text[n] != '\0'; ++n)
        if (n >= 128 || text[n] < 0x20 || text[n] > 0x7e) return false;
    return n > 0;
}

}  // namespace

std::optional<std::string> check_descriptor(const berth_plugin_descriptor& d) {
    if (d.abi_major != BERTH_ABI_MAJOR)
        return "ABI major " + std::to_string(d.abi_major) + " (plugin) differs from " + std::to_string(BERTH_ABI_MAJOR) +
               " (host)";
    if (d.struct_size < sizeof(berth_plugin_descriptor))
        return "descriptor size " + std::to_string(d.struct_size) + " is smaller than the " +
               std::to_string(sizeof(berth_plugin_descriptor)) + " bytes this host needs";
    if (!d.fingerprint) return "the descriptor has no build fingerprint";
    auto fp = parse_fingerprint(d.fingerprint);
    for (const char* key : {"sdk", "arch", "pointer_bytes"})
        if (!fp.count(key)) return std::string("the build fingerprint lacks '") + key + "' (\"" + d.fingerprint + "\")";
    if (sdk_line(fp["sdk"]) != sdk_line(BERTH_SDK_VERSION))
        return "fingerprint sdk " + fp["sdk"] + " (plugin) is not compatible with " BERTH_SDK_VERSION " (host)";
    if (fp["arch"] != BERTH_ARCH) return "fingerprint arch " + fp["arch"] + " (plugin) differs from " BERTH_ARCH " (host)";
    if (fp["pointer_bytes"] != std::to_string(sizeof(void*)))
        return "fingerprint pointer_bytes " + fp["pointer_bytes"] + " (plugin) differs from " +
               std::to_string(sizeof(void*)) + " (host)";
    if (!d.name || !*d.name || !d.version || !*d.version) return "the descriptor has no name or version";
    // Both reach logs, the admin API and operators' terminals: printable ASCII only, bounded.
    if (!printable_ascii(d.name)) return "the descriptor's name is not 1 to 128 printable ASCII characters";
    if (!printable_ascii(d.version)) return "the descriptor's version is not 1 to 128 printable ASCII characters";
    if (!d.create || !d.describe || !d.start || !d.handle || !d.stop || !d.destroy)
        return "the descriptor lacks a required entry point";
    return std::nullopt;
}

namespace {

// True when `path` holds exactly the bytes whose hash is `sha256` (a copy left by a crash, or
// truncated on disk, does not).
bool holds(const fs::path& path, const std::string& sha256) {
    std::ifstream in(path, std::ios::binary);
    if (!in) return false;
    std::ostringstream s;
    s << in.rdbuf();
    return sha256_hex(std::move(s).str()) == sha256;
}

}  // namespace

std::variant<std::shared_ptr<plugin_library>, load_failure> plugin_library::open(const file_image& image,
                                                                                const fs::path& shadow_dir,
                                                                                const std::string& module,
                                                                                const isolate::worker_options* isolation) {
    const std::string file = image.source.string();
    const std::string& bytes = image.bytes;
    std::shared_ptr<plugin_library> lib(new plugin_library());
    lib->impl_ = std::make_unique<impl>();
    lib->source_ = image.source;
    lib->sha256_ = image.sha256;
    lib->shadow_ = shadow_dir / (module + "-" + lib->sha256_ + ".so");

    // Trusted by content, never by name: a copy that does not hash to the image is rewritten.
    if (!holds(lib->shadow_, lib->sha256_)) {
        try {
            files::make_private_dir(shadow_dir);
            files::write_private_file(lib->shadow_, bytes);
        } catch (const files::file_error& e) {
            return load_failure{"copy", std::string("cannot write the shadow copy: ") + e.what()};
        }
    }

    // Look before loading: a file without our descriptor never gets its initialisers run. And
    // check the file's layout first: the inspection trusts the sizes a file claims.
    if (auto bad = check_elf_layout(bytes)) return load_failure{"inspect", file + ": " + *bad};
    try {
        boost::dll::library_info info(lib->shadow_);
        auto symbols = info.symbols();
        if (std::find(symbols.begin(), symbols.end(), BERTH_DESCRIPTOR_SYMBOL) == symbols.end())
            return load_failure{"inspect", file + " does not export '" BERTH_DESCRIPTOR_SYMBOL "' (not a Berth plugin)"};
    } catch (const std::exception& e) {
        return load_failure{"inspect", file + " cannot be inspected: " + e.what()};
    }

    if (isolation) {
        // Nothing of the plugin runs in berthd: the worker maps the same bytes from a sealed memfd.
        auto launched = isolate::isolated_plugin::launch(image, *isolation);
        if (auto* f = std::get_if<load_failure>(&launched)) return std::move(*f);
        lib->isolated_ = std::get<std::shared_ptr<isolate::isolated_plugin>>(std::move(launched));
        lib->descriptor_ = &lib->isolated_->descriptor();
        return lib;
    }

    boost::dll::fs::error_code lec;
    ::dlerror();
    lib->impl_->lib.load(lib->shadow_, lec, boost::dll::load_mode::rtld_now | boost::dll::load_mode::rtld_local);
    if (lec) {
        const char* why = ::dlerror();
        return load_failure{"dlopen", file + ": " + (why ? std::string(why) : lec.message())};
    }
    if (!lib->impl_->lib.has(BERTH_DESCRIPTOR_SYMBOL))
        return load_failure{"inspect", file + " does not export '" BERTH_DESCRIPTOR_SYMBOL "'"};
    lib->descriptor_ = &lib->impl_->lib.get<const berth_plugin_descriptor>(BERTH_DESCRIPTOR_SYMBOL);
    if (auto why = check_descriptor(*lib->descriptor_)) return load_failure{"descriptor", file + " rejected: " + *why};
    return lib;
}

plugin_library::~plugin_library() { unload(); }

unload_report plugin_library::unload() {
    if (isolated_) {
        descriptor_ = nullptr;
        return isolated_->stop_worker();
    }
    if (!impl_ || !impl_->lib.is_loaded()) return {true, "not loaded"};
    descriptor_ = nullptr;
    impl_->lib.unload();
    // dlclose returns 0 whether or not it unmapped anything: ask the loader and the kernel.
    if (void* h = ::dlopen(shadow_.c_str(), RTLD_NOLOAD | RTLD_LAZY)) {
        ::dlclose(h);
        return {false, "still loaded after dlclose (RTLD_NOLOAD found it): a NODELETE flag, a UNIQUE symbol or "
                       "another reference keeps it"};
    }
    if (is_mapped(shadow_)) return {false, "dlclose returned but " + shadow_.string() + " is still mapped"};
    return {true, "unmapped"};
}

}  // namespace berth::host::plugin
