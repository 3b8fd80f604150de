#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace pactown {

// Maximum length in bytes of a saas user id and of a service id.
inline constexpr size_t maxSaasUserIdBytes = 255;
inline constexpr size_t maxServiceIdBytes = 255;

// Checks that `saasUserId` is 1 to 255 bytes of valid UTF-8 (no overlong forms, no
// surrogates, nothing above U+10FFFF) without control characters (U+0000-U+001F, U+007F,
// U+0080-U+009F). Everything else is allowed, so `auth0|123456`, `user@example.com` and
// `user:1` pass unchanged.
// Throws InvalidArgumentError naming the problem and its byte offset.
void validateSaasUserId(std::string_view saasUserId);

// Checks that `serviceId` can be used as one directory name below a tenant's sandboxes/:
// 1 to 255 bytes of valid UTF-8, not "." or "..", without '/' and without control
// characters (NUL included).
// Throws InvalidArgumentError naming the problem and its byte offset.
void validateServiceId(std::string_view serviceId);

// Returns `value` in single quotes for an error or log message. Printable characters are
// kept, including valid non-ASCII UTF-8. A backslash becomes "\\", a single quote "\'" and
// every other byte (control characters, invalid UTF-8) "\xNN". A value longer than
// `maxBytes` is cut at a character boundary and followed by "..." after the closing quote.
std::string quoteForMessage(std::string_view value, size_t maxBytes = 64);

} // namespace pactown
