#include "error_status.h"

#include <gtest/gtest.h>

namespace pactown::gateway {
namespace {

TEST(HttpStatusForDbusError, MapsErrorsOfPactownd)
{
    EXPECT_EQ(httpStatusForDbusError("com.pactown.Isolation1.Error.InvalidArgument"), 400);
    EXPECT_EQ(httpStatusForDbusError("com.pactown.Isolation1.Error.NoSuchUser"), 404);
    EXPECT_EQ(httpStatusForDbusError("com.pactown.Isolation1.Error.Busy"), 409);
    EXPECT_EQ(httpStatusForDbusError("com.pactown.Isolation1.Error.AccessDenied"), 403);
    EXPECT_EQ(httpStatusForDbusError("com.pactown.Isolation1.Error.NotImplemented"), 501);
    EXPECT_EQ(httpStatusForDbusError("com.pactown.Isolation1.Error.Failed"), 500);
    EXPECT_EQ(httpStatusForDbusError("com.pactown.Isolation1.Error.UidRangeExhausted"), 500);
}

TEST(HttpStatusForDbusError, MapsUnreachableDaemonTo503)
{
    for (const char* name : {"org.freedesktop.DBus.Error.ServiceUnknown", "org.freedesktop.DBus.Error.NameHasNoOwner",
                             "org.freedesktop.DBus.Error.NoReply", "org.freedesktop.DBus.Error.Timeout",
                             "org.freedesktop.DBus.Error.Disconnected", "org.freedesktop.DBus.Error.FileNotFound",
                             "org.freedesktop.DBus.Error.NoServer", "System.Error.ECONNREFUSED",
                             "org.freedesktop.DBus.Error.Spawn.ChildExited"})
        EXPECT_EQ(httpStatusForDbusError(name), 503) << name;
}

TEST(HttpStatusForDbusError, MapsBusErrors)
{
    EXPECT_EQ(httpStatusForDbusError("org.freedesktop.DBus.Error.AccessDenied"), 403);
    EXPECT_EQ(httpStatusForDbusError("org.freedesktop.DBus.Error.InvalidArgs"), 400);
    EXPECT_EQ(httpStatusForDbusError("org.freedesktop.DBus.Error.UnknownObject"), 404);
    EXPECT_EQ(httpStatusForDbusError("org.freedesktop.DBus.Error.UnknownMethod"), 500);
    EXPECT_EQ(httpStatusForDbusError(""), 500);
}

} // namespace
} // namespace pactown::gateway
