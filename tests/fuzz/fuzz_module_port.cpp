// Raw bytes to a module port: HTTP parsing, routing, auth, validation and a plugin's answer,
// through the real host. The first byte picks the module (even: contract_probe, odd: users);
// the rest is sent as is. Seeds start with 'P' (probe) or 'U' (users).
#include "port_harness.hpp"

#include <cstddef>
#include <cstdint>

extern "C" int LLVMFuzzerInitialize(int*, char***) {
    berth::fuzz::probe_port();
    return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size == 0) return 0;
    auto port = (data[0] % 2 == 0) ? berth::fuzz::probe_port() : berth::fuzz::users_port();
    berth::fuzz::exchange(port, data + 1, size - 1);
    return 0;
}
