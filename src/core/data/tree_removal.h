#pragma once

#include <filesystem>
#include <string>

namespace pactown {

// Removes path and, when it is a directory, everything below it. No symbolic link is followed:
// a link is removed, never its target. Directories on another filesystem (mount points) are
// neither entered nor removed; the rest of the tree is removed and then SystemError names them.
// A missing path is not an error. Throws SystemError when an entry cannot be removed.
void removeTree(const std::filesystem::path& path);

// removeTree for the entry `name` of the open directory dirFd.
void removeTreeAt(int dirFd, const std::string& name);

} // namespace pactown
