#pragma once

#include <filesystem>

#include <pactown/stats.h>

namespace pactown {

// Measures the tree below root as du -sx would: allocated size from st_blocks, each inode
// counted once, symbolic links counted but never followed, other filesystems not entered.
// Entries that cannot be read are listed in DiskUsage::unreadable and their contents skipped.
// Throws SystemError when root itself cannot be opened or listed.
DiskUsage measureDiskUsage(const std::filesystem::path& root);

// Counts the directories directly inside <home>/sandboxes; symbolic links to directories do not
// count. Returns 0 when there is no sandboxes directory. Throws SystemError when the home or
// the sandboxes directory cannot be read.
unsigned countSandboxes(const std::filesystem::path& home);

} // namespace pactown
