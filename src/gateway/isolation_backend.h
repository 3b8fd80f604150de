#pragma once

#include <string>
#include <vector>

#include <pactown/isolated_user.h>
#include <pactown/stats.h>

namespace pactown::gateway {

// The operations of pactownd that the HTTP routes need. The production implementation calls
// pactownd over D-Bus; tests substitute a fake.
//
// Every call throws sdbus::Error on failure, named as pactownd names its errors
// (com.pactown.Isolation1.Error.NoSuchUser, ...) or, when pactownd cannot be reached, as the
// bus names its own (org.freedesktop.DBus.Error.ServiceUnknown, ...). Calls may run
// concurrently from several threads.
class IsolationBackend {
public:
    virtual ~IsolationBackend() = default;

    virtual std::vector<IsolatedUser> listUsers() = 0;
    // Returns the tenant of `saasUserId`, creating it on first use.
    virtual IsolatedUser getOrCreateUser(const std::string& saasUserId) = 0;
    // Only `user.saasUserId`, `user.linuxUsername` and the disk and run figures are filled in.
    virtual UserStats getUserStats(const std::string& saasUserId) = 0;
    virtual void deleteUser(const std::string& saasUserId, bool deleteHome) = 0;
};

} // namespace pactown::gateway
