#pragma once

#include <exception>
#include <string>

#include <sdbus-c++/Error.h>

namespace pactown {

// Prefix of every error name that pactownd returns.
inline constexpr const char* kErrorPrefix = "com.pactown.Isolation1.Error.";

// Returns the D-Bus error for the exception in flight or stored in `error`:
//  - pactown::Error becomes com.pactown.Isolation1.Error.<name()> with its message, and a
//    SystemError is also logged at error level, because only the caller would learn of it;
//  - sdbus::Error passes unchanged;
//  - any other std::exception becomes com.pactown.Isolation1.Error.Failed and is logged once
//    at error level, because it means a fault of the daemon or the library;
//  - anything else becomes Error.Failed with a fixed message.
// `method` names the D-Bus method in that log line.
sdbus::Error toDbusError(std::exception_ptr error, const std::string& method);

// Returns com.pactown.Isolation1.Error.<name> with `message`.
sdbus::Error makeDbusError(const std::string& name, const std::string& message);

} // namespace pactown
