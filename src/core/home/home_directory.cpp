#include "home/home_directory.h"

#include "data/unique_fd.h"

#include <pactown/errors.h>

#include <cerrno>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace pactown {
namespace {

// Opens (creating if missing) directory `name` below `parentFd` without following a symlink
// and gives it `mode` and uid:gid.
UniqueFd openOwnedDirectory(int parentFd, const std::string& name, mode_t mode, uid_t uid, gid_t gid,
                            const std::filesystem::path& shownPath)
{
    if (::mkdirat(parentFd, name.c_str(), mode) < 0 && errno != EEXIST)
        throwSystemError("cannot create directory '" + shownPath.string() + "'", errno);
    UniqueFd fd(::openat(parentFd, name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
    if (fd.get() < 0) {
        if (errno == ENOTDIR || errno == ELOOP)
            throw InvalidArgumentError("'" + shownPath.string() + "' exists and is not a directory");
        throwSystemError("cannot open directory '" + shownPath.string() + "'", errno);
    }
    if (::fchown(fd.get(), uid, gid) < 0)
        throwSystemError("cannot change the owner of '" + shownPath.string() + "'", errno);
    if (::fchmod(fd.get(), mode) < 0)
        throwSystemError("cannot change the mode of '" + shownPath.string() + "'", errno);
    return fd;
}

UniqueFd openDirectory(const std::filesystem::path& path)
{
    UniqueFd fd(::open(path.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (fd.get() < 0)
        throwSystemError("cannot open directory '" + path.string() + "'", errno);
    return fd;
}

} // namespace

std::filesystem::path createHome(const std::filesystem::path& usersBase, std::string_view name, uid_t uid, gid_t gid)
{
    std::error_code error;
    std::filesystem::create_directories(usersBase.parent_path(), error);
    if (error)
        throw SystemError("cannot create the parent of users base '" + usersBase.string() + "': " + error.message());
    // Tenants must be able to traverse the base to reach their homes, whatever the daemon's
    // umask. An existing base keeps the mode its operator gave it.
    if (::mkdir(usersBase.c_str(), 0755) == 0) {
        if (::chmod(usersBase.c_str(), 0755) < 0)
            throwSystemError("cannot change the mode of users base '" + usersBase.string() + "'", errno);
    } else if (errno != EEXIST) {
        throwSystemError("cannot create users base '" + usersBase.string() + "'", errno);
    }

    auto home = usersBase / name;
    UniqueFd base = openDirectory(usersBase);
    UniqueFd homeFd = openOwnedDirectory(base.get(), std::string(name), 0700, uid, gid, home);
    openOwnedDirectory(homeFd.get(), "sandboxes", 0755, uid, gid, home / "sandboxes");
    return home;
}

std::filesystem::path createSandbox(const std::filesystem::path& home, std::string_view serviceId, uid_t uid, gid_t gid)
{
    auto sandboxes = home / "sandboxes";
    UniqueFd homeFd = openDirectory(home);
    UniqueFd sandboxesFd = openOwnedDirectory(homeFd.get(), "sandboxes", 0755, uid, gid, sandboxes);
    auto sandbox = sandboxes / serviceId;
    openOwnedDirectory(sandboxesFd.get(), std::string(serviceId), 0755, uid, gid, sandbox);
    return sandbox;
}

} // namespace pactown
