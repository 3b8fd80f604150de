#include "manager/tenant_locks.h"

#include <pactown/errors.h>

#include <cerrno>
#include <fcntl.h>
#include <functional>
#include <string>
#include <unistd.h>
#include <utility>

namespace pactown {

namespace {

// Tenant bytes lie above the creation byte; 2^40 of them make a shared byte rare.
constexpr off_t tenantByteCount = off_t{1} << 40;

off_t lockOffset(TenantLock::Kind kind, std::string_view saasUserId)
{
    if (kind == TenantLock::Kind::Creation)
        return 0;
    return 1 + static_cast<off_t>(std::hash<std::string_view>{}(saasUserId) % tenantByteCount);
}

} // namespace

TenantLock::TenantLock(const std::filesystem::path& stateDirectory, Kind kind, std::string_view saasUserId)
{
    acquire(stateDirectory, kind, saasUserId, true);
}

TenantLock TenantLock::tryLock(const std::filesystem::path& stateDirectory, Kind kind, std::string_view saasUserId)
{
    TenantLock lock;
    lock.acquire(stateDirectory, kind, saasUserId, false);
    return lock;
}

bool TenantLock::acquire(const std::filesystem::path& stateDirectory, Kind kind, std::string_view saasUserId, bool wait)
{
    auto path = stateDirectory / "tenants.lock";
    int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (fd < 0)
        throwSystemError("cannot open the lock file '" + path.string() + "'", errno);

    struct flock range {};
    range.l_type = F_WRLCK;
    range.l_whence = SEEK_SET;
    range.l_start = lockOffset(kind, saasUserId);
    range.l_len = 1;
    int result;
    do {
        result = ::fcntl(fd, wait ? F_OFD_SETLKW : F_OFD_SETLK, &range);
    } while (result < 0 && errno == EINTR);
    if (result < 0) {
        int error = errno;
        ::close(fd);
        if (!wait && (error == EAGAIN || error == EACCES))
            return false;
        throwSystemError("cannot lock '" + path.string() + "'", error);
    }
    fd_ = fd;
    return true;
}

TenantLock::~TenantLock()
{
    // Closing the last descriptor of the open file description releases its locks.
    if (fd_ >= 0)
        ::close(fd_);
}

TenantLock::TenantLock(TenantLock&& other) noexcept : fd_(std::exchange(other.fd_, -1)) {}

} // namespace pactown
