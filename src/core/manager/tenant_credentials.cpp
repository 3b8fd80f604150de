#include "manager/tenant_credentials.h"

#include <pactown/errors.h>

#include <cerrno>
#include <sys/syscall.h>
#include <thread>
#include <unistd.h>

namespace pactown {
namespace {

// The raw system calls change only the calling thread. glibc's wrappers would change every
// thread of the process, the daemon included.
void dropToTenant(uid_t uid, gid_t gid)
{
    if (::syscall(SYS_setgroups, 0, nullptr) < 0)
        throwSystemError("cannot clear the supplementary groups of a worker thread", errno);
    if (::syscall(SYS_setresgid, gid, gid, gid) < 0)
        throwSystemError("cannot switch a worker thread to GID " + std::to_string(gid), errno);
    if (::syscall(SYS_setresuid, uid, uid, uid) < 0)
        throwSystemError("cannot switch a worker thread to UID " + std::to_string(uid), errno);
}

} // namespace

void runWithTenantCredentials(uid_t uid, gid_t gid, const std::function<void()>& work)
{
    std::exception_ptr failure;
    std::thread worker([&] {
        try {
            dropToTenant(uid, gid);
            work();
        } catch (...) {
            failure = std::current_exception();
        }
    });
    worker.join();
    if (failure)
        std::rethrow_exception(failure);
}

} // namespace pactown
