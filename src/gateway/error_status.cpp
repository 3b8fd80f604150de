#include "error_status.h"

#include <array>

namespace pactown::gateway {

namespace {

struct StatusOfName {
    std::string_view name;
    int status;
};

constexpr std::array kStatusOfName{
    StatusOfName{"com.pactown.Isolation1.Error.InvalidArgument", 400},
    StatusOfName{"org.freedesktop.DBus.Error.InvalidArgs", 400},
    StatusOfName{"com.pactown.Isolation1.Error.NoSuchUser", 404},
    // A tenant deleted between GetOrCreateUser and the read of its properties.
    StatusOfName{"org.freedesktop.DBus.Error.UnknownObject", 404},
    StatusOfName{"com.pactown.Isolation1.Error.Busy", 409},
    StatusOfName{"com.pactown.Isolation1.Error.AccessDenied", 403},
    // The bus policy denied the call: the gateway's user is not admitted to pactownd.
    StatusOfName{"org.freedesktop.DBus.Error.AccessDenied", 403},
    StatusOfName{"com.pactown.Isolation1.Error.NotImplemented", 501},
    // pactownd is not running, did not reply in time, or the bus itself is unreachable.
    // sd-bus (systemd 252) names the errno of a failed connect after its own table, so ENOENT
    // becomes FileNotFound, and System.Error.<errno> for errnos outside it, like ECONNREFUSED.
    StatusOfName{"org.freedesktop.DBus.Error.ServiceUnknown", 503},
    StatusOfName{"org.freedesktop.DBus.Error.NameHasNoOwner", 503},
    StatusOfName{"org.freedesktop.DBus.Error.NoReply", 503},
    StatusOfName{"org.freedesktop.DBus.Error.Timeout", 503},
    StatusOfName{"org.freedesktop.DBus.Error.TimedOut", 503},
    StatusOfName{"org.freedesktop.DBus.Error.Disconnected", 503},
    StatusOfName{"org.freedesktop.DBus.Error.NoServer", 503},
    StatusOfName{"org.freedesktop.DBus.Error.FileNotFound", 503},
    StatusOfName{"org.freedesktop.DBus.Error.LimitsExceeded", 503},
    StatusOfName{"System.Error.ECONNREFUSED", 503},
    StatusOfName{"System.Error.ECONNRESET", 503},
    StatusOfName{"System.Error.ENOTCONN", 503},
    StatusOfName{"System.Error.EPIPE", 503},
    StatusOfName{"System.Error.ENOENT", 503},
};

} // namespace

int httpStatusForDbusError(std::string_view errorName)
{
    for (const auto& entry : kStatusOfName) {
        if (entry.name == errorName)
            return entry.status;
    }
    // Bus activation of pactownd failed: org.freedesktop.DBus.Error.Spawn.ChildExited and kin.
    if (errorName.starts_with("org.freedesktop.DBus.Error.Spawn."))
        return 503;
    return 500;
}

} // namespace pactown::gateway
