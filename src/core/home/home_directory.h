#pragma once

#include <filesystem>
#include <string_view>
#include <sys/types.h>

namespace pactown {

// Creates <usersBase>/<name> with mode 0700 and sandboxes/ inside, both owned by uid:gid, and
// returns the home path. An existing home is kept; its mode and owner are corrected. Throws
// SystemError, or InvalidArgumentError when the home path exists and is not a directory.
std::filesystem::path createHome(const std::filesystem::path& usersBase, std::string_view name, uid_t uid, gid_t gid);

// Creates <home>/sandboxes/<serviceId> owned by uid:gid (mode 0755) and returns its path.
// Every component is opened without following symlinks, so a tenant that replaced sandboxes/
// by a link cannot make the daemon create directories elsewhere. serviceId must be validated.
std::filesystem::path createSandbox(const std::filesystem::path& home, std::string_view serviceId, uid_t uid, gid_t gid);

} // namespace pactown
