// Token verification: any string a client can put after "Bearer ".
#include "auth/token_service.hpp"
#include "fuzz_key.hpp"

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string_view>

namespace {

std::unique_ptr<berth::host::auth::token_service> service;

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
    namespace fs = std::filesystem;
    std::string tpl = (fs::temp_directory_path() / "berth-fuzz-token-XXXXXX").string();
    if (!mkdtemp(tpl.data())) std::abort();
    berth::host::auth_config cfg;
    cfg.secret_file = fs::path(tpl) / "token.key";
    cfg.issuer = berth::fuzz::token_issuer;
    {
        std::ofstream key(cfg.secret_file);
        key << berth::fuzz::token_key_hex << "\n";
    }
    fs::permissions(cfg.secret_file, fs::perms::owner_read | fs::perms::owner_write);
    service = std::make_unique<berth::host::auth::token_service>(cfg);
    fs::remove_all(tpl);  // the key is in memory now
    // The service must accept what it issues, or every input below is only "rejected".
    auto own = service->issue("fuzz", "user");
    if (!std::holds_alternative<berth::host::auth::token_service::verified>(service->verify(own.token))) std::abort();
    return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    service->verify(std::string_view(reinterpret_cast<const char*>(data), size));
    return 0;
}
