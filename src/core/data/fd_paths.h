#pragma once

#include <sys/stat.h>

#include <filesystem>
#include <string>
#include <vector>

#include "data/unique_fd.h"

// Opening files relative to directory descriptors without following symbolic links, so that a
// tenant who controls a tree cannot redirect root's operations outside it.
namespace pactown {

// Opens a directory that the caller trusts, such as a home or the users base. The last
// component must not be a symbolic link; the components before it are resolved normally.
// Throws SystemError when it cannot be opened.
UniqueFd openTrustedDirectory(const std::filesystem::path& path);

// Opens the directory `name` inside dirFd without following a symbolic link, and checks that it
// is still the inode that `expected` describes. Returns an invalid fd and sets errno on failure,
// with ESTALE when the entry was replaced after it was examined.
UniqueFd openChildDirectory(int dirFd, const std::string& name, const struct stat& expected);

// Opens `components` below dirFd as a directory (O_PATH) with no symbolic link, no ".." and no
// mount point on the way: openat2 with RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS |
// RESOLVE_NO_MAGICLINKS | RESOLVE_NO_XDEV where the kernel has it, otherwise one O_NOFOLLOW
// openat per component. Returns an invalid fd and sets errno on failure; `failedAt` then contains
// the number of leading components that were resolved, when that is known.
UniqueFd openBeneath(int dirFd, const std::vector<std::string>& components, size_t* failedAt = nullptr);

// The names in an open directory, without "." and "..". Returns false and sets errno on failure.
bool listDirectory(int dirFd, std::vector<std::string>& names);

// Joins relative path components with '/'.
std::string joinComponents(const std::vector<std::string>& components, size_t count);

} // namespace pactown
