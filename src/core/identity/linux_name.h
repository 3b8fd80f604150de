#pragma once

#include <functional>
#include <string>
#include <string_view>

#include "identity/sha256.h"

namespace pactown {

// Maps a string to lowercase hex digits: sha256Hex in production, a stub with chosen
// collisions in tests. It must return at least minNameHashDigits digits.
using NameHasher = std::function<std::string(std::string_view)>;

inline constexpr size_t minNameHashDigits = 23;
inline constexpr size_t maxLinuxNameLength = 31;

// Returns the Linux user and group name to try for `saasUserId` at `attempt` (0, 1, 2, ...).
// Attempt 0 is "pactown_" + the first 8 hex digits of the hash. Attempts 1 to 15 take 9 to 23
// digits. Later attempts take 15 digits and a suffix "-N" with N = attempt - 15. Each
// candidate is at most 31 characters long and passes isValidLinuxName(), and the same
// arguments always give the same candidate. The caller walks the attempts until the
// candidate is free, and the registry decides who owns a name.
// Throws InvalidArgumentError if the hasher returns too few or non-hex digits, and
// SystemError once the attempts are exhausted (N would need more than 7 digits).
std::string linuxNameCandidate(std::string_view saasUserId, unsigned attempt,
                               const NameHasher& hasher = sha256Hex);

// Returns whether `name` matches ^[a-z_][a-z0-9_-]{0,30}$, the names this product creates.
bool isValidLinuxName(std::string_view name);

} // namespace pactown
