#include "data/entry_extractor.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>

#include <pactown/errors.h>

#include "data/archive_handle.h"
#include "data/fd_paths.h"

namespace pactown {
namespace {

[[noreturn]] void reject(const std::string& name, const std::string& reason)
{
    throw UnsafeArchiveError("archive entry '" + name + "' " + reason);
}

std::string homePath(const std::vector<std::string>& path, size_t count)
{
    return count == 0 ? "home" : "home/" + joinComponents(path, count);
}

void setTimes(int dirFd, const char* leaf, struct timespec mtime, int flags)
{
    struct timespec times[2] = {{0, UTIME_OMIT}, mtime};
    // A time the filesystem cannot store is not worth rejecting the archive for.
    ::utimensat(dirFd, leaf, times, flags);
}

} // namespace

int EntryExtractor::parentOf(const std::vector<std::string>& path, const std::string& name)
{
    std::vector<std::string> parent(path.begin(), path.end() - 1);
    std::string key = joinComponents(parent, parent.size());
    if (cachedParentFd_ && key == cachedParent_)
        return cachedParentFd_.get();

    UniqueFd fd = openBeneath(rootFd_, parent);
    if (!fd)
        fd = createParents(parent, name);
    cachedParent_ = std::move(key);
    cachedParentFd_ = std::move(fd);
    return cachedParentFd_.get();
}

// Opens the parent one component at a time, creating missing directories with mode 0700, and
// names the component that blocks the path when one does.
UniqueFd EntryExtractor::createParents(const std::vector<std::string>& parent, const std::string& name)
{
    UniqueFd current(::fcntl(rootFd_, F_DUPFD_CLOEXEC, 0));
    for (size_t i = 0; i < parent.size(); ++i) {
        const char* leaf = parent[i].c_str();
        UniqueFd next(::openat(current.get(), leaf, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
        if (!next && errno == ENOENT) {
            if (::mkdirat(current.get(), leaf, 0700) != 0)
                throwSystemError("cannot create '" + homePath(parent, i + 1) + "' for '" + name + "'", errno);
            chown(current.get(), parent[i], homePath(parent, i + 1));
            next = UniqueFd(::openat(current.get(), leaf, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
        }
        if (!next && (errno == ENOTDIR || errno == ELOOP))
            reject(name, "has '" + homePath(parent, i + 1) + "' in its path, which is a symbolic link or not a directory");
        if (!next)
            throwSystemError("cannot open '" + homePath(parent, i + 1) + "' for '" + name + "'", errno);
        current = std::move(next);
    }
    return current;
}

void EntryExtractor::chown(int dirFd, const std::string& leaf, const std::string& name)
{
    if (::fchownat(dirFd, leaf.c_str(), uid_, gid_, AT_SYMLINK_NOFOLLOW) != 0)
        throwSystemError("cannot set the owner of '" + name + "'", errno);
}

void EntryExtractor::countEntry(const std::string& name)
{
    if (++entries_ > maxEntries_)
        reject(name, "is entry number " + std::to_string(entries_) + ", more than the " + std::to_string(maxEntries_) +
                         " inodes the filesystem of the homes can spare");
}

void EntryExtractor::directory(const std::vector<std::string>& path, const std::string& name, mode_t mode,
                               struct timespec mtime)
{
    countEntry(name);
    int parent = parentOf(path, name);
    const std::string& leaf = path.back();
    if (::mkdirat(parent, leaf.c_str(), 0700) != 0) {
        struct stat st {};
        if (errno != EEXIST)
            throwSystemError("cannot create directory '" + name + "'", errno);
        // A directory may come after entries inside it created it, or twice; anything else
        // under that name is an earlier entry it would replace.
        if (::fstatat(parent, leaf.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0 || !S_ISDIR(st.st_mode))
            reject(name, "replaces an earlier entry of the archive");
    }
    chown(parent, leaf, name);
    directories_.push_back({path, mode & 0777, mtime});
}

void EntryExtractor::regularFile(const std::vector<std::string>& path, const std::string& name, mode_t mode,
                                 struct timespec mtime, struct archive* archive, int64_t size)
{
    countEntry(name);
    int parent = parentOf(path, name);
    UniqueFd fd(::openat(parent, path.back().c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600));
    if (!fd && errno == EEXIST)
        reject(name, "replaces an earlier entry of the archive");
    if (!fd)
        throwSystemError("cannot create '" + name + "'", errno);
    if (::fchown(fd.get(), uid_, gid_) != 0)
        throwSystemError("cannot set the owner of '" + name + "'", errno);

    copyData(fd.get(), archive, name);
    // A sparse file may end in a hole, which has no data block to extend the file.
    if (size >= 0 && ::ftruncate(fd.get(), size) != 0) {
        if (errno == EFBIG || errno == EINVAL)
            reject(name, "has a size of " + std::to_string(size) + " bytes, more than the filesystem can hold");
        throwSystemError("cannot set the size of '" + name + "'", errno);
    }
    // Masking drops setuid, setgid and sticky bits, whatever owner the archive records.
    if (::fchmod(fd.get(), mode & 0777) != 0)
        throwSystemError("cannot set the mode of '" + name + "'", errno);
    struct timespec times[2] = {{0, UTIME_OMIT}, mtime};
    ::futimens(fd.get(), times);
}

void EntryExtractor::copyData(int fd, struct archive* archive, const std::string& name)
{
    for (;;) {
        const void* block = nullptr;
        size_t length = 0;
        la_int64_t offset = 0;
        int status = archive_read_data_block(archive, &block, &length, &offset);
        if (status == ARCHIVE_EOF)
            return;
        if (status < ARCHIVE_WARN)
            throwArchiveReadFailure(archive, "in entry '" + name + "'");
        dataBytes_ += length;
        if (dataBytes_ > maxDataBytes_)
            reject(name, "brings the archive's data to more than the " + std::to_string(maxDataBytes_) +
                             " bytes the filesystem of the homes can spare");
        const char* data = static_cast<const char*>(block);
        while (length > 0) {
            ssize_t written = ::pwrite(fd, data, length, offset);
            if (written < 0 && errno == EINTR)
                continue;
            if (written < 0 && (errno == EFBIG || errno == EINVAL))
                reject(name, "has data at offset " + std::to_string(offset) + ", beyond what the filesystem can hold");
            if (written < 0)
                throwSystemError("cannot write '" + name + "'", errno);
            data += written;
            length -= static_cast<size_t>(written);
            offset += written;
        }
        if (onData)
            onData();
    }
}

void EntryExtractor::symlink(const std::vector<std::string>& path, const std::string& name, const char* target,
                             struct timespec mtime)
{
    countEntry(name);
    if (target == nullptr || *target == '\0')
        reject(name, "is a symbolic link without a target");
    int parent = parentOf(path, name);
    const char* leaf = path.back().c_str();
    if (::symlinkat(target, parent, leaf) != 0) {
        if (errno == EEXIST)
            reject(name, "replaces an earlier entry of the archive");
        throwSystemError("cannot create the symbolic link '" + name + "'", errno);
    }
    chown(parent, path.back(), name);
    setTimes(parent, leaf, mtime, AT_SYMLINK_NOFOLLOW);
}

void EntryExtractor::hardlink(const std::vector<std::string>& path, const std::string& name,
                              const std::vector<std::string>& target, const std::string& targetName)
{
    // Only entries of this archive exist below the root, so a regular file found there is an
    // earlier entry. The lookup follows no link and stays below the root.
    std::vector<std::string> targetParent(target.begin(), target.end() - 1);
    UniqueFd targetParentFd = openBeneath(rootFd_, targetParent);
    struct stat st {};
    if (!targetParentFd || ::fstatat(targetParentFd.get(), target.back().c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0 ||
        !S_ISREG(st.st_mode))
        reject(name, "is a hard link to '" + targetName + "', which is not an earlier regular file of the archive");

    int parent = parentOf(path, name);
    // Without AT_SYMLINK_FOLLOW, linkat links the entry itself, which was just checked.
    if (::linkat(targetParentFd.get(), target.back().c_str(), parent, path.back().c_str(), 0) != 0) {
        if (errno == EEXIST)
            reject(name, "replaces an earlier entry of the archive");
        throwSystemError("cannot create the hard link '" + name + "'", errno);
    }
}

void EntryExtractor::finishDirectories()
{
    cachedParentFd_.reset();
    std::stable_sort(directories_.begin(), directories_.end(),
                     [](const PendingDirectory& a, const PendingDirectory& b) { return a.path.size() > b.path.size(); });
    for (auto it = directories_.begin(); it != directories_.end(); ++it) {
        const std::string name = homePath(it->path, it->path.size());
        std::vector<std::string> parentPath(it->path.begin(), it->path.end() - 1);
        UniqueFd parent = openBeneath(rootFd_, parentPath);
        UniqueFd fd;
        if (parent)
            fd = UniqueFd(::openat(parent.get(), it->path.back().c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
        if (!fd || ::fchmod(fd.get(), it->mode) != 0)
            throwSystemError("cannot set the mode of '" + name + "'", errno);
        struct timespec times[2] = {{0, UTIME_OMIT}, it->mtime};
        ::futimens(fd.get(), times);
    }
    directories_.clear();
}

} // namespace pactown
