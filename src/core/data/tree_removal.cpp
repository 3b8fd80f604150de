#include "data/tree_removal.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include <spdlog/spdlog.h>

#include <pactown/errors.h>

#include "data/fd_paths.h"
#include "data/tree_walker.h"

namespace pactown {
namespace {

// Removes entries as the walk meets them and directories after their contents. Failures are
// collected so that one stuck entry does not keep the rest of the tree.
class Remover : public TreeVisitor {
public:
    bool enter(const WalkEntry& entry) override
    {
        if (S_ISDIR(entry.st.st_mode))
            return true;
        if (::unlinkat(entry.parentFd, entry.name.c_str(), 0) != 0 && errno != ENOENT)
            fail(entry.path, std::strerror(errno));
        return false;
    }

    void leave(const WalkEntry& entry) override
    {
        if (::unlinkat(entry.parentFd, entry.name.c_str(), AT_REMOVEDIR) != 0 && errno != ENOENT)
            fail(entry.path, std::strerror(errno));
    }

    void unreadable(const WalkEntry& entry, int error) override { fail(entry.path, std::strerror(error)); }

    void mountPoint(const WalkEntry& entry) override
    {
        fail(entry.path, "it is a mount point of another filesystem");
    }

    void fail(const std::string& path, const std::string& reason)
    {
        spdlog::debug("remove tree: cannot remove '{}': {}", path, reason);
        if (failures_++ == 0)
            firstFailure_ = "'" + path + "': " + reason;
    }

    void throwIfFailed(const std::string& root) const
    {
        if (failures_ > 0)
            throw SystemError("cannot remove " + std::to_string(failures_) + " entries below '" + root +
                              "', the first is " + firstFailure_);
    }

private:
    unsigned failures_ = 0;
    std::string firstFailure_;
};

} // namespace

void removeTreeAt(int dirFd, const std::string& name)
{
    struct stat st {};
    if (::fstatat(dirFd, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) {
        if (errno == ENOENT)
            return;
        throwSystemError("cannot examine '" + name + "'", errno);
    }
    if (!S_ISDIR(st.st_mode)) {
        if (::unlinkat(dirFd, name.c_str(), 0) != 0 && errno != ENOENT)
            throwSystemError("cannot remove '" + name + "'", errno);
        return;
    }

    UniqueFd fd = openChildDirectory(dirFd, name, st);
    if (!fd)
        throwSystemError("cannot open directory '" + name + "'", errno);
    Remover remover;
    walkTree(fd.get(), remover);
    remover.throwIfFailed(name);
    if (::unlinkat(dirFd, name.c_str(), AT_REMOVEDIR) != 0 && errno != ENOENT)
        throwSystemError("cannot remove directory '" + name + "'", errno);
}

void removeTree(const std::filesystem::path& path)
{
    std::filesystem::path normal = path.lexically_normal();
    if (!normal.has_filename())
        normal = normal.parent_path();
    std::string name = normal.filename().string();
    if (name.empty() || name == "." || name == ".." || normal == normal.root_path())
        throw InvalidArgumentError("cannot remove '" + path.string() + "': it does not name an entry");

    std::filesystem::path parent = normal.has_parent_path() ? normal.parent_path() : ".";
    UniqueFd parentFd(::open(parent.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (!parentFd) {
        if (errno == ENOENT)
            return;
        throwSystemError("cannot open directory '" + parent.string() + "'", errno);
    }
    try {
        removeTreeAt(parentFd.get(), name);
    } catch (const SystemError& error) {
        throw SystemError("cannot remove '" + path.string() + "': " + error.what());
    }
}

} // namespace pactown
