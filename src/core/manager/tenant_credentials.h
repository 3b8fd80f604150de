#pragma once

#include <exception>
#include <functional>
#include <sys/types.h>

namespace pactown {

// Runs `work` on a thread of its own that holds only the tenant's credentials (UID, GID, no
// supplementary groups, no capabilities), and returns when it is done, rethrowing what it threw.
// Walking a tenant-controlled tree with the tenant's rights means the walk can read nothing
// the tenant could not, and entries the tenant cannot read are reported as unreadable.
// Throws SystemError when the credentials cannot be changed.
void runWithTenantCredentials(uid_t uid, gid_t gid, const std::function<void()>& work);

} // namespace pactown
