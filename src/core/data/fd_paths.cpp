#include "data/fd_paths.h"

#include <dirent.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <climits>
#include <cstring>

#include <pactown/errors.h>

namespace pactown {
namespace {

// Cleared the first time openat2 fails with ENOSYS, so that later calls go straight to the
// per-component walk.
std::atomic<bool> openat2Available{true};

int openat2Beneath(int dirFd, const std::string& path)
{
    struct open_how how {};
    how.flags = O_PATH | O_DIRECTORY | O_CLOEXEC;
    how.resolve = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS | RESOLVE_NO_XDEV;
    return static_cast<int>(::syscall(SYS_openat2, dirFd, path.c_str(), &how, sizeof how));
}

UniqueFd walkComponents(int dirFd, const std::vector<std::string>& components, size_t* failedAt)
{
    UniqueFd current(::fcntl(dirFd, F_DUPFD_CLOEXEC, 0));
    if (!current)
        return current;

    struct stat parent {};
    if (::fstat(current.get(), &parent) != 0)
        return UniqueFd();
    for (size_t i = 0; i < components.size(); ++i) {
        // O_PATH with O_NOFOLLOW would open a symbolic link itself, and O_DIRECTORY then
        // rejects it with ENOTDIR; both fail before anything below the link is touched.
        UniqueFd next(::openat(current.get(), components[i].c_str(),
                               O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
        struct stat st {};
        if (next && ::fstat(next.get(), &st) != 0)
            next.reset();
        else if (next && st.st_dev != parent.st_dev) {
            next.reset();
            errno = EXDEV;
        }
        if (!next) {
            if (failedAt)
                *failedAt = i;
            return next;
        }
        current = std::move(next);
    }
    return current;
}

} // namespace

UniqueFd openTrustedDirectory(const std::filesystem::path& path)
{
    UniqueFd fd(::open(path.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
    if (!fd)
        throwSystemError("cannot open directory '" + path.string() + "'", errno);
    return fd;
}

UniqueFd openChildDirectory(int dirFd, const std::string& name, const struct stat& expected)
{
    UniqueFd fd(::openat(dirFd, name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
    if (!fd)
        return fd;

    struct stat st {};
    if (::fstat(fd.get(), &st) != 0)
        return UniqueFd();
    if (st.st_dev != expected.st_dev || st.st_ino != expected.st_ino) {
        errno = ESTALE;
        return UniqueFd();
    }
    return fd;
}

UniqueFd openBeneath(int dirFd, const std::vector<std::string>& components, size_t* failedAt)
{
    if (failedAt)
        *failedAt = components.size();
    if (components.empty())
        return UniqueFd(::fcntl(dirFd, F_DUPFD_CLOEXEC, 0));

    std::string path = joinComponents(components, components.size());
    if (openat2Available.load(std::memory_order_relaxed) && path.size() < PATH_MAX) {
        UniqueFd fd(openat2Beneath(dirFd, path));
        if (fd)
            return fd;
        if (errno == ENOSYS)
            openat2Available.store(false, std::memory_order_relaxed);
    }
    // After a failure of openat2 the walk repeats the resolution, to find the component that
    // failed and to create nothing the kernel refused.
    return walkComponents(dirFd, components, failedAt);
}

bool listDirectory(int dirFd, std::vector<std::string>& names)
{
    int copy = ::openat(dirFd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (copy < 0)
        return false;
    DIR* dir = ::fdopendir(copy);
    if (!dir) {
        int error = errno;
        ::close(copy);
        errno = error;
        return false;
    }

    names.clear();
    errno = 0;
    while (struct dirent* entry = ::readdir(dir)) {
        const char* name = entry->d_name;
        if (std::strcmp(name, ".") != 0 && std::strcmp(name, "..") != 0)
            names.emplace_back(name);
        errno = 0;
    }
    int error = errno;
    ::closedir(dir);
    errno = error;
    return error == 0;
}

std::string joinComponents(const std::vector<std::string>& components, size_t count)
{
    std::string path;
    for (size_t i = 0; i < count && i < components.size(); ++i) {
        if (i > 0)
            path += '/';
        path += components[i];
    }
    return path;
}

} // namespace pactown
