// Raw bytes to the admin listener of a real host (contract_probe and users loaded).
#include "port_harness.hpp"

#include <cstddef>
#include <cstdint>

extern "C" int LLVMFuzzerInitialize(int*, char***) {
    berth::fuzz::admin_port();
    return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    berth::fuzz::exchange(berth::fuzz::admin_port(), data, size);
    return 0;
}
