// The test side of the test plugins' latches (tests/plugins/latch.hpp): a directory for a
// module's latch_dir setting, and opening a latch without a request (the module may be at
// capacity or its port closed).
#pragma once

#include "support/test_host.hpp"

#include <nlohmann/json.hpp>

#include <fcntl.h>
#include <unistd.h>

#include <filesystem>
#include <stdexcept>
#include <string>
#include <vector>

namespace berth::test {

class latches {
public:
    latches() { std::filesystem::create_directories(dir()); }
    ~latches() {  // nothing is left holding when a test stops half-way
        for (auto& n : held_) release(n);
    }
    std::filesystem::path dir() const { return dir_.path() / "latches"; }
    // A module's settings entry: {"latch_dir": ...}.
    nlohmann::json setting() const { return {{"latch_dir", dir().string()}}; }
    // The target of a request that holds until release(name).
    std::string hold(const std::string& name) {
        held_.push_back(name);
        return "/v1/latch/" + name;
    }
    void release(const std::string& name) const {
        const int fd = ::open((dir() / name).c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
        if (fd < 0) throw std::runtime_error("latch " + name + " not opened");
        ::close(fd);
    }

private:
    temp_dir dir_;
    std::vector<std::string> held_;
};

}  // namespace berth::test
