#pragma once

#include <filesystem>

namespace pactown {

// Makes sure the directory exists as a real directory owned by the effective user and not
// writable by group or others. A missing directory is created with mode 0700 whatever the
// umask; missing parents get the default mode. Throws SystemError naming the path.
void prepareStateDirectory(const std::filesystem::path& directory);

// Creates the database file with mode 0600 whatever the umask, or checks an existing one: it
// must be a regular file (not a symlink) owned by the effective user. An existing file and its
// -wal, -shm and -journal companions are set back to 0600. Throws SystemError naming the path.
void prepareDatabaseFile(const std::filesystem::path& file);

} // namespace pactown
