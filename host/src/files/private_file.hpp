// Files only the service account may read: keys, tokens, shadow copies, the audit log.
// Created 0600 with O_EXCL | O_NOFOLLOW, written whole, fsync-ed, renamed into place, and the
// directory fsync-ed; directories 0700.
#pragma once

#include <filesystem>
#include <stdexcept>
#include <string>
#include <string_view>

namespace berth::host::files {

// A file or directory that is not as private as it must be, or cannot be made so.
class file_error : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

// Creates `dir` (and parents) if needed and makes it 0700. Throws file_error.
void make_private_dir(const std::filesystem::path& dir);

// Writes `bytes` to `file` atomically: a 0600 temporary beside it (O_CREAT|O_EXCL|O_NOFOLLOW),
// fsync, rename over `file` (or, with `replace` false, only if `file` does not exist: then
// returns false and leaves the existing file), fsync of the directory. Throws file_error.
bool write_private_file(const std::filesystem::path& file, std::string_view bytes, bool replace = true);

// Reads a secret: a regular file (not a link) owned by this user or root, with no group or
// other permission bits, of at most `max_bytes`. Throws file_error saying which rule failed.
std::string read_secret_file(const std::filesystem::path& file, std::size_t max_bytes = 4096);

// The secret in `file` as trimmed text; when the file does not exist, first creates it holding
// 32 random bytes as hex (two processes racing both end up with the same key).
std::string load_or_create_secret(const std::filesystem::path& file, std::string_view what);

void fsync_dir(const std::filesystem::path& dir);

}  // namespace berth::host::files
