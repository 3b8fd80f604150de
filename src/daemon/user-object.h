#pragma once

#include <map>
#include <memory>
#include <mutex>
#include <string>

#include <sdbus-c++/sdbus-c++.h>

#include <pactown/isolated_user.h>

#include "caller.h"
#include "isolation1-user-adaptor-glue.h"

namespace pactown {

// Object path prefix of the tenants' objects.
inline constexpr const char* kUserPathPrefix = "/com/pactown/Isolation1/user";

// Returns the object path of a tenant: the prefix and its Linux user name, encoded as
// sd_bus_path_encode() does. The saas user id stays out of the path because any caller may
// list the paths.
sdbus::ObjectPath userObjectPath(const IsolatedUser& user);

// The com.pactown.Isolation1.User object of one tenant.
class UserObject final : public sdbus::AdaptorInterfaces<com::pactown::Isolation1::User_adaptor> {
public:
    UserObject(sdbus::IConnection& connection, IsolatedUser user, const CallerPolicy& policy);
    ~UserObject();

    const IsolatedUser& user() const { return user_; }

private:
    std::string SaasUserId() override;
    std::string LinuxUsername() override;
    uint32_t UID() override;
    uint32_t GID() override;
    std::string HomeDirectory() override;
    double CreatedAt() override;
    std::string Mode() override;

    const IsolatedUser user_;
    const CallerPolicy& policy_;
};

// The tenants' objects on the bus, keyed by Linux user name. Safe from any thread.
class UserObjects {
public:
    UserObjects(sdbus::IConnection& connection, const CallerPolicy& policy);

    // Registers the tenant's object, replacing one with a different record, and returns its path.
    sdbus::ObjectPath add(const IsolatedUser& user);
    // Unregisters the tenant's object if it exists, and returns the path it had.
    sdbus::ObjectPath remove(const IsolatedUser& user);

private:
    sdbus::IConnection& connection_;
    const CallerPolicy& policy_;
    std::mutex mutex_;
    std::map<std::string, std::unique_ptr<UserObject>> objects_;
};

} // namespace pactown
