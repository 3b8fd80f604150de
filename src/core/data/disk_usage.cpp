#include "data/disk_usage.h"

#include <fcntl.h>
#include <sys/stat.h>

#include <cerrno>
#include <cstring>
#include <unordered_set>

#include <spdlog/spdlog.h>

#include <pactown/errors.h>

#include "data/fd_paths.h"
#include "data/inode_id.h"
#include "data/tree_walker.h"

namespace pactown {
namespace {

class UsageCounter : public TreeVisitor {
public:
    explicit UsageCounter(DiskUsage& usage) : usage_(usage) {}

    void add(const struct stat& st)
    {
        usage_.allocatedBytes += static_cast<uint64_t>(st.st_blocks) * 512;
        usage_.apparentBytes += static_cast<uint64_t>(st.st_size);
        if (S_ISDIR(st.st_mode))
            usage_.directories++;
        else
            usage_.files++;
    }

    bool enter(const WalkEntry& entry) override
    {
        const struct stat& st = entry.st;
        // Only non-directories can have several names; a set of all inodes would cost memory
        // for every file of the tree.
        if (!S_ISDIR(st.st_mode) && st.st_nlink > 1 && !linked_.insert(InodeId::of(st)).second)
            return false;
        add(st);
        return true;
    }

    void unreadable(const WalkEntry& entry, int error) override
    {
        spdlog::debug("disk usage: cannot read '{}': {}, ignoring", entry.path, std::strerror(error));
        usage_.unreadable.push_back(entry.path);
    }

    void mountPoint(const WalkEntry& entry) override
    {
        spdlog::debug("disk usage: '{}' is on another filesystem, not entered", entry.path);
    }

private:
    DiskUsage& usage_;
    std::unordered_set<InodeId, InodeIdHash> linked_;
};

} // namespace

DiskUsage measureDiskUsage(const std::filesystem::path& root)
{
    UniqueFd rootFd = openTrustedDirectory(root);
    struct stat st {};
    if (::fstat(rootFd.get(), &st) != 0)
        throwSystemError("cannot examine '" + root.string() + "'", errno);

    DiskUsage usage;
    UsageCounter counter(usage);
    counter.add(st);
    walkTree(rootFd.get(), counter);
    return usage;
}

unsigned countSandboxes(const std::filesystem::path& home)
{
    UniqueFd homeFd = openTrustedDirectory(home);
    UniqueFd sandboxesFd(::openat(homeFd.get(), "sandboxes", O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
    if (!sandboxesFd) {
        // A tenant may replace its sandboxes directory by a link or a file; it then has none.
        if (errno == ENOENT || errno == ELOOP || errno == ENOTDIR)
            return 0;
        throwSystemError("cannot open '" + (home / "sandboxes").string() + "'", errno);
    }

    std::vector<std::string> names;
    if (!listDirectory(sandboxesFd.get(), names))
        throwSystemError("cannot list '" + (home / "sandboxes").string() + "'", errno);
    unsigned count = 0;
    for (const std::string& name : names) {
        struct stat st {};
        if (::fstatat(sandboxesFd.get(), name.c_str(), &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISDIR(st.st_mode))
            count++;
    }
    return count;
}

} // namespace pactown
