#pragma once

#include <chrono>
#include <filesystem>
#include <vector>

namespace pactown {

// Exclusive hold on the account files under a root (like systemd-sysusers --root), taken in
// the order shadow-utils takes them so that useradd, usermod, sysusers and this product
// exclude each other:
// 1. a write lock on <root>/etc/.pwd.lock, the file of glibc's lckpwdf() and sysusers;
// 2. the lock files of shadow-utils, <root>/etc/{passwd,shadow,group,gshadow}.lock, each
//    holding the PID of its owner. One whose PID is no longer alive is stale and replaced.
// Both are retried until the timeout, which is 15 s by default as in glibc's lckpwdf().
// The destructor removes the lock files and then releases the lock on .pwd.lock.
class AccountLock {
public:
    static constexpr std::chrono::milliseconds defaultTimeout{15000};

    // Throws SystemError if a lock is still held by another process at the timeout, if a
    // lock file contains no valid PID, or if a file cannot be created.
    explicit AccountLock(const std::filesystem::path& root,
                         std::chrono::milliseconds timeout = defaultTimeout);
    ~AccountLock();

    AccountLock(const AccountLock&) = delete;
    AccountLock& operator=(const AccountLock&) = delete;

private:
    void lockPasswordLockFile(const std::filesystem::path& etc,
                              std::chrono::steady_clock::time_point deadline);
    void lockAccountFile(const std::filesystem::path& file,
                         std::chrono::steady_clock::time_point deadline);
    void release() noexcept;

    int passwordLockFd_ = -1;
    std::vector<std::filesystem::path> lockFiles_;
};

} // namespace pactown
