#pragma once

#include <sys/stat.h>
#include <sys/types.h>

#include <ctime>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include <archive.h>

#include "data/unique_fd.h"

namespace pactown {

// Creates archive entries below an empty directory that only this process writes to. Every
// entry is created exclusively in a parent that was opened without following a symbolic link,
// and owned by uid:gid. `path` is the entry's components below the root, `name` its archive
// name for messages. Throws UnsafeArchiveError for an entry that cannot be created safely and
// SystemError when the filesystem fails.
class EntryExtractor {
public:
    EntryExtractor(int rootFd, uid_t uid, gid_t gid) : rootFd_(rootFd), uid_(uid), gid_(gid) {}

    void directory(const std::vector<std::string>& path, const std::string& name, mode_t mode, struct timespec mtime);
    // Copies the entry's data from the archive; `size` is its logical size, holes included.
    void regularFile(const std::vector<std::string>& path, const std::string& name, mode_t mode,
                     struct timespec mtime, struct archive* archive, int64_t size);
    void symlink(const std::vector<std::string>& path, const std::string& name, const char* target,
                 struct timespec mtime);
    // `target` is the components of the earlier entry, without the "home" prefix.
    void hardlink(const std::vector<std::string>& path, const std::string& name,
                  const std::vector<std::string>& target, const std::string& targetName);
    // Sets the modes and times of the directories, deepest first, once nothing more is written
    // into them: a directory without write permission must still take its entries first.
    void finishDirectories();

    // Called after each block of data that was read from the archive.
    std::function<void()> onData;

    // Limits of what one import may write, so that an archive that expands far beyond its own
    // size (a gzip bomb, millions of empty files) cannot fill the filesystem of the homes.
    void setBudget(uint64_t maxDataBytes, uint64_t maxEntries)
    {
        maxDataBytes_ = maxDataBytes;
        maxEntries_ = maxEntries;
    }

private:
    int parentOf(const std::vector<std::string>& path, const std::string& name);
    UniqueFd createParents(const std::vector<std::string>& parent, const std::string& name);
    void chown(int dirFd, const std::string& leaf, const std::string& name);
    void copyData(int fd, struct archive* archive, const std::string& name);

    struct PendingDirectory {
        std::vector<std::string> path;
        mode_t mode;
        struct timespec mtime;
    };

    int rootFd_;
    uid_t uid_;
    gid_t gid_;
    // The parent of the last entry: archives list the entries of one directory together.
    std::string cachedParent_;
    UniqueFd cachedParentFd_;
    std::vector<PendingDirectory> directories_;
    uint64_t maxDataBytes_ = UINT64_MAX;
    uint64_t maxEntries_ = UINT64_MAX;
    uint64_t dataBytes_ = 0;
    uint64_t entries_ = 0;

    void countEntry(const std::string& name);
};

} // namespace pactown
