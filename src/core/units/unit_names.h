#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace pactown {

// Prefix and suffix of every run unit; listRuns() and stop() accept only names of this form.
inline constexpr std::string_view runUnitPrefix = "pactown-run-";
inline constexpr std::string_view runUnitSuffix = ".service";

// Returns "pactown-run-<linuxName>-<16 random hex digits>.service", unique per call.
// Throws InvalidArgumentError when linuxName does not match ^[a-z_][a-z0-9_-]{0,30}$,
// SystemError when the kernel has no random bytes to give.
std::string makeRunUnitName(std::string_view linuxName);

// Returns the tenant's slice "pactown-<linuxName>.slice", a child of pactown.slice. A '-' of the
// linux name is escaped as "\x2d", because systemd reads every '-' of a slice name as a level of
// the slice tree. Throws InvalidArgumentError for an invalid linux name.
std::string tenantSliceName(std::string_view linuxName);

// Whether unitName has the form makeRunUnitName() produces.
bool isRunUnitName(std::string_view unitName);

// Returns the linux name inside a run unit name, nullopt for any other name.
std::optional<std::string> linuxNameOfRunUnit(std::string_view unitName);

// Returns systemd's D-Bus object path of a unit, "/org/freedesktop/systemd1/unit/<escaped name>".
// Throws SystemError if the name cannot be encoded.
std::string unitObjectPath(const std::string& unitName);

// Throws InvalidArgumentError naming the value when linuxName is not a valid account name.
void checkLinuxName(std::string_view linuxName);

} // namespace pactown
