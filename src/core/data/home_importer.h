#pragma once

#include <sys/types.h>

#include <filesystem>

#include <nlohmann/json.hpp>

#include <pactown/progress.h>

namespace pactown {

// Replaces home with the "home/" tree of the tar.gz read from inFd, all or nothing, and returns
// the parsed "manifest.json" entry (null when the archive has none).
//
// The archive is not trusted. It is extracted into a new directory
// <usersBase>/.pactown-staging-<random>, mode 0700 and owned by root until the end, where every
// entry is created exclusively (O_EXCL, mkdirat, symlinkat) in a parent opened without
// following any symbolic link. So no entry is written through a link, whether the link came
// earlier in the archive or not. The archive is rejected for an absolute name, a ".."
// component, a name outside "home/" other than "manifest.json", or an entry that replaces an
// earlier one. It is also rejected for a path through a link or a non-directory, a hard link to
// anything but an earlier regular file of the archive, a device, FIFO or socket, and for input
// that is not gzip-compressed tar or is cut short.
// Modes are masked to 0777, every entry is owned by uid:gid, and the home itself gets mode 0700.
// Symbolic links are kept with their targets as stored: nothing here follows them.
//
// On success the staging directory is exchanged with home (renameat2 RENAME_EXCHANGE, or a
// plain rename when home does not exist) and the old tree removed. home must be on the same
// filesystem as usersBase. Progress counts bytes of the archive read; the total is the size of
// inFd when it is a regular file, otherwise 0.
//
// Throws UnsafeArchiveError naming the entry for an archive it rejects, and SystemError when
// reading, writing or renaming fails; in both cases the staging directory is removed and home
// is left as it was.
nlohmann::json importHome(int inFd, const std::filesystem::path& usersBase, const std::filesystem::path& home,
                          uid_t uid, gid_t gid, const ProgressCallback& progress = {});

// The prefix of the staging directories in the users base. A directory with this prefix left by
// a crash contains no tenant's data any more and can be removed with removeTree.
inline constexpr const char* stagingPrefix = ".pactown-staging-";

} // namespace pactown
