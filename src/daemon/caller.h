#pragma once

#include <optional>
#include <string>
#include <sys/types.h>

#include <sdbus-c++/IObject.h>
#include <sdbus-c++/Message.h>

struct sd_bus;

namespace pactown {

// Decides which callers may use the mutating methods: root, and the user that pactownd runs
// as (the same when it serves the system bus; the session's owner in non-root mode). The
// system user pactown-gateway, when it exists, may call the methods behind the HTTP routes.
class CallerPolicy {
public:
    // `object` is any object registered on the connection that pactownd serves.
    explicit CallerPolicy(sdbus::IObject& object);

    // Throws AccessDeniedError naming `method` unless the sender of `call` is privileged.
    void requirePrivileged(const sdbus::Message& call, const std::string& method) const;

    // Returns whether the sender of the message being dispatched on the connection is
    // privileged; nullopt when no message is being dispatched or the bus gave no UID.
    // For property getters, which sdbus-c++ calls without the message.
    std::optional<bool> currentSenderPrivileged() const;
    // Returns the member of the message being dispatched ("Get", "GetAll", ...), or "".
    std::string currentMember() const;

private:
    bool isPrivileged(uid_t uid) const;

    sd_bus* bus_;
    uid_t ownUid_;
    std::optional<uid_t> gatewayUid_;
};

} // namespace pactown
