#include "caller.h"

#include <pactown/errors.h>

#include <pwd.h>
#include <set>
#include <systemd/sd-bus.h>
#include <unistd.h>
#include <vector>

namespace pactown {

namespace {

// sdbus-c++ 1.2 does not hand out its sd_bus_message; its protected member does, through a
// pointer to member formed in a derived class, which the access rules allow.
struct RawMessage : sdbus::Message {
    static sd_bus_message* of(const sdbus::Message& message)
    {
        return static_cast<sd_bus_message*>(message.*(&RawMessage::msg_));
    }
};

std::optional<uid_t> senderUid(sd_bus_message* message)
{
    sd_bus_creds* creds = nullptr;
    if (sd_bus_query_sender_creds(message, SD_BUS_CREDS_EUID | SD_BUS_CREDS_AUGMENT, &creds) < 0)
        return std::nullopt;
    uid_t uid = 0;
    const int result = sd_bus_creds_get_euid(creds, &uid);
    sd_bus_creds_unref(creds);
    if (result < 0)
        return std::nullopt;
    return uid;
}

// The account of pactown-gateway and the methods its REST routes need; the bus policy file
// admits the same user to the same methods.
constexpr const char* gatewayUser = "pactown-gateway";
const std::set<std::string> gatewayMethods{"ListUsers", "GetOrCreateUser", "GetUser", "GetUserStats", "DeleteUser"};

std::optional<uid_t> lookUpGatewayUid()
{
    struct passwd entry {};
    struct passwd* found = nullptr;
    std::vector<char> buffer(16384);
    if (getpwnam_r(gatewayUser, &entry, buffer.data(), buffer.size(), &found) != 0 || found == nullptr)
        return std::nullopt;
    return found->pw_uid;
}

} // namespace

CallerPolicy::CallerPolicy(sdbus::IObject& object)
    : ownUid_(geteuid())
    , gatewayUid_(lookUpGatewayUid())
{
    // A signal message created on the connection carries the connection's sd_bus.
    auto probe = object.createSignal("org.freedesktop.DBus.Peer", "Probe");
    bus_ = sd_bus_message_get_bus(RawMessage::of(probe));
}

bool CallerPolicy::isPrivileged(uid_t uid) const
{
    return uid == 0 || uid == ownUid_;
}

void CallerPolicy::requirePrivileged(const sdbus::Message& call, const std::string& method) const
{
    const uid_t uid = call.getCredsUid();
    if (gatewayUid_ && uid == *gatewayUid_ && gatewayMethods.contains(method))
        return;
    if (!isPrivileged(uid))
        throw AccessDeniedError(method + " is for root only; the caller's UID is " + std::to_string(uid));
}

std::optional<bool> CallerPolicy::currentSenderPrivileged() const
{
    sd_bus_message* current = sd_bus_get_current_message(bus_);
    if (current == nullptr)
        return std::nullopt;
    auto uid = senderUid(current);
    if (!uid)
        return std::nullopt;
    return isPrivileged(*uid);
}

std::string CallerPolicy::currentMember() const
{
    sd_bus_message* current = sd_bus_get_current_message(bus_);
    const char* member = current ? sd_bus_message_get_member(current) : nullptr;
    return member ? member : "";
}

} // namespace pactown
