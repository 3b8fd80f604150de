#pragma once

#include <sys/stat.h>

#include <string>

namespace pactown {

// One entry met by walkTree.
struct WalkEntry {
    int parentFd;            // the open directory that contains the entry
    const std::string& name; // its name in that directory
    const std::string& path; // relative to the walk root, '/'-separated
    const struct stat& st;   // its own metadata (fstatat with AT_SYMLINK_NOFOLLOW)
};

class TreeVisitor {
public:
    virtual ~TreeVisitor() = default;
    // Called for every entry before its children. Returns whether to enter a directory.
    virtual bool enter(const WalkEntry& entry) = 0;
    // Called after the children of a directory that was entered.
    virtual void leave(const WalkEntry&) {}
    // An entry that could not be examined, or a directory that could not be opened or listed.
    virtual void unreadable(const WalkEntry& entry, int error) = 0;
    // A directory on another filesystem than the root; it is not entered.
    virtual void mountPoint(const WalkEntry& entry) = 0;
};

// Walks the tree below rootFd depth first. Symbolic links are never followed: entries are
// examined with fstatat(AT_SYMLINK_NOFOLLOW) and directories opened with O_NOFOLLOW relative to
// their parent's descriptor, then checked to be the inode that was examined. At most a fixed
// number of descriptors stay open whatever the depth. An ancestor whose descriptor was closed
// is reopened through "..", which must be the same inode as before.
// Throws SystemError when the root cannot be read or an ancestor was moved during the walk.
void walkTree(int rootFd, TreeVisitor& visitor);

} // namespace pactown
