#pragma once

#include <string_view>

namespace pactown::gateway {

// Returns the HTTP status for a D-Bus error name from pactownd or from the bus:
// 400 InvalidArgument, 404 NoSuchUser, 409 Busy, 403 AccessDenied, 501 NotImplemented,
// 503 when pactownd or the bus cannot be reached, 500 for anything else.
int httpStatusForDbusError(std::string_view errorName);

} // namespace pactown::gateway
