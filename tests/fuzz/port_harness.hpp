// Shared by fuzz_module_port and fuzz_admin_port: one real host per fuzzer process, started once,
// and a loopback exchange that sends raw bytes and reads the answer until the host closes.
#pragma once

#include <cstddef>
#include <cstdint>

namespace berth::fuzz {

// Starts the host (contract_probe and users, ports 0) on first use; stopped at exit.
// Returns the admin port or the contract_probe port.
std::uint16_t admin_port();
std::uint16_t probe_port();
std::uint16_t users_port();

// Connects to 127.0.0.1:port, writes data, half-closes, reads until the host closes or the
// deadline passes. Returns the number of bytes answered.
std::size_t exchange(std::uint16_t port, const std::uint8_t* data, std::size_t size);

}  // namespace berth::fuzz
