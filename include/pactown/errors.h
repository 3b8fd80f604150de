#pragma once

#include <stdexcept>
#include <string>

namespace pactown {

// The failures the library reports. Each type maps to one D-Bus error name under
// com.pactown.Isolation1.Error (see errorName()); messages name the rejected value in quotes.
class Error : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
    // The last component of the D-Bus error name, for example "InvalidArgument".
    virtual const char* name() const noexcept = 0;
};

#define PACTOWN_DECLARE_ERROR(Type, Name)                                   \
    class Type : public Error {                                             \
    public:                                                                 \
        using Error::Error;                                                 \
        const char* name() const noexcept override { return Name; }         \
    }

// Bad input from the caller: an invalid id, path, option or value.
PACTOWN_DECLARE_ERROR(InvalidArgumentError, "InvalidArgument");
// The saas user id has no tenant.
PACTOWN_DECLARE_ERROR(NoSuchUserError, "NoSuchUser");
// No run with that unit name belongs to this product.
PACTOWN_DECLARE_ERROR(NoSuchRunError, "NoSuchRun");
// Every UID of the configured range is taken, reserved or in quarantine.
PACTOWN_DECLARE_ERROR(UidRangeExhaustedError, "UidRangeExhausted");
// A unit started, but its cgroup does not hold the limits that were requested.
PACTOWN_DECLARE_ERROR(LimitsNotAppliedError, "LimitsNotApplied");
// The operation conflicts with the tenant's current state, such as export while runs are active.
PACTOWN_DECLARE_ERROR(BusyError, "Busy");
// An archive entry is unsafe or malformed; the message names the entry.
PACTOWN_DECLARE_ERROR(UnsafeArchiveError, "UnsafeArchive");
// The caller may not perform this operation.
PACTOWN_DECLARE_ERROR(AccessDeniedError, "AccessDenied");
// A configuration file or value is invalid; the message names the file, line and key.
PACTOWN_DECLARE_ERROR(ConfigError, "InvalidConfiguration");
// A system call, systemd or the account files failed for a reason other than the input.
PACTOWN_DECLARE_ERROR(SystemError, "Failed");

#undef PACTOWN_DECLARE_ERROR

// Throws SystemError with "<what>: <strerror(error)>".
[[noreturn]] void throwSystemError(const std::string& what, int error);

} // namespace pactown
