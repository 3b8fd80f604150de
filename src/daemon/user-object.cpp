#include "user-object.h"

#include <pactown/errors.h>

#include <cstdlib>
#include <systemd/sd-bus.h>

#include "errors.h"

namespace pactown {

sdbus::ObjectPath userObjectPath(const IsolatedUser& user)
{
    char* path = nullptr;
    const int result = sd_bus_path_encode(kUserPathPrefix, user.linuxUsername.c_str(), &path);
    if (result < 0)
        throwSystemError("cannot encode the object path of '" + user.linuxUsername + "'", -result);
    sdbus::ObjectPath encoded(path);
    std::free(path);
    return encoded;
}

UserObject::UserObject(sdbus::IConnection& connection, IsolatedUser user, const CallerPolicy& policy)
    : AdaptorInterfaces(connection, userObjectPath(user))
    , user_(std::move(user))
    , policy_(policy)
{
    registerAdaptor();
}

UserObject::~UserObject()
{
    unregisterAdaptor();
}

std::string UserObject::SaasUserId()
{
    if (policy_.currentSenderPrivileged().value_or(false))
        return user_.saasUserId;
    // GetAll must keep working for everyone, so it reports the id as empty instead of failing.
    if (policy_.currentMember() == "GetAll")
        return "";
    throw makeDbusError("AccessDenied", "SaasUserId is readable by root only");
}

std::string UserObject::LinuxUsername()
{
    return user_.linuxUsername;
}

uint32_t UserObject::UID()
{
    return user_.linuxUid;
}

uint32_t UserObject::GID()
{
    return user_.linuxGid;
}

std::string UserObject::HomeDirectory()
{
    return user_.homeDir.string();
}

double UserObject::CreatedAt()
{
    return user_.createdAt;
}

std::string UserObject::Mode()
{
    return toString(user_.mode);
}

UserObjects::UserObjects(sdbus::IConnection& connection, const CallerPolicy& policy)
    : connection_(connection)
    , policy_(policy)
{
}

sdbus::ObjectPath UserObjects::add(const IsolatedUser& user)
{
    std::lock_guard lock(mutex_);
    auto& object = objects_[user.linuxUsername];
    if (!object || object->user() != user) {
        // The old object must leave the bus before its replacement takes the same path.
        object.reset();
        object = std::make_unique<UserObject>(connection_, user, policy_);
    }
    return object->getObjectPath();
}

sdbus::ObjectPath UserObjects::remove(const IsolatedUser& user)
{
    std::lock_guard lock(mutex_);
    objects_.erase(user.linuxUsername);
    return userObjectPath(user);
}

} // namespace pactown
