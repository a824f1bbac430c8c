// A file's permission bits, as `ls -l` would show them (lstat: a link is not followed).
#pragma once

#include <gtest/gtest.h>

#include <sys/stat.h>

#include <filesystem>

namespace berth::test {

inline mode_t mode_of(const std::filesystem::path& p) {
    struct stat st {};
    EXPECT_EQ(::lstat(p.c_str(), &st), 0) << p;
    return st.st_mode & 0777;
}

}  // namespace berth::test
