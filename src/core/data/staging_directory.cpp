#include "data/staging_directory.h"

#include <fcntl.h>
#include <sys/random.h>
#include <sys/stat.h>

#include <cerrno>
#include <cstdio>

#include <spdlog/spdlog.h>

#include <pactown/errors.h>

#include "data/tree_removal.h"

namespace pactown {

std::string randomName(const std::string& prefix)
{
    unsigned char bytes[8];
    if (::getrandom(bytes, sizeof bytes, 0) != static_cast<ssize_t>(sizeof bytes))
        throwSystemError("cannot get random bytes for a directory name", errno);
    std::string name = prefix;
    char hex[3];
    for (unsigned char byte : bytes) {
        std::snprintf(hex, sizeof hex, "%02x", byte);
        name += hex;
    }
    return name;
}

StagingDirectory::StagingDirectory(int parentFd, const std::string& prefix) : parentFd_(parentFd)
{
    name_ = randomName(prefix);
    if (::mkdirat(parentFd, name_.c_str(), 0700) != 0)
        throwSystemError("cannot create the staging directory '" + name_ + "'", errno);
    struct stat st {};
    if (::fstatat(parentFd, name_.c_str(), &st, AT_SYMLINK_NOFOLLOW) == 0)
        fd_ = UniqueFd(::openat(parentFd, name_.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
    // The umask may have taken bits away; 0700 must hold whatever it is.
    if (!fd_ || ::fchmod(fd_.get(), 0700) != 0) {
        int error = errno;
        ::unlinkat(parentFd, name_.c_str(), AT_REMOVEDIR);
        throwSystemError("cannot open the staging directory '" + name_ + "'", error);
    }
}

StagingDirectory::~StagingDirectory()
{
    if (released_)
        return;
    fd_.reset();
    try {
        removeTreeAt(parentFd_, name_);
    } catch (const Error& error) {
        spdlog::debug("cannot remove the staging directory '{}': {}", name_, error.what());
    }
}

} // namespace pactown
