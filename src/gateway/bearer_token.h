#pragma once

#include <filesystem>
#include <stdexcept>
#include <string>
#include <string_view>

namespace pactown::gateway {

// A token file that cannot be used; the message names the file and the fix.
class TokenFileError : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

// Shortest token accepted, in bytes, so that a placeholder such as "test" is never deployed.
inline constexpr size_t kMinTokenBytes = 16;

// The shared secret that clients present as "Authorization: Bearer <token>".
class BearerToken {
public:
    // Throws std::invalid_argument when `secret` is shorter than kMinTokenBytes or has a
    // character outside visible ASCII.
    explicit BearerToken(std::string secret);

    // Reads the token from `path`: one line, a trailing newline ignored. The file must be a
    // regular file owned by root or by the effective user, with no permission for group or
    // others. Throws TokenFileError naming the file and what is wrong with it.
    static BearerToken loadFromFile(const std::filesystem::path& path);

    // Returns whether `authorization`, the value of an Authorization header field, is
    // "Bearer " (scheme matched case-insensitively) followed by this token. The comparison
    // takes the same time wherever the presented token first differs.
    bool acceptsAuthorization(std::string_view authorization) const;

private:
    std::string secret_;
};

} // namespace pactown::gateway
