#include "bearer_token.h"

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace pactown::gateway {

namespace {

// Larger files are certainly not a token; the cap keeps a wrong path from being read whole.
constexpr size_t kMaxTokenFileBytes = 4096;

std::string quoted(const std::filesystem::path& path)
{
    return "'" + path.string() + "'";
}

void checkTokenFileStatus(const std::filesystem::path& path, const struct stat& status)
{
    if (!S_ISREG(status.st_mode))
        throw TokenFileError("token file " + quoted(path) + " is not a regular file");
    if (status.st_uid != 0 && status.st_uid != geteuid())
        throw TokenFileError("token file " + quoted(path) + " is owned by UID " + std::to_string(status.st_uid) +
                             "; it must belong to root or to the user that runs the gateway");
    if ((status.st_mode & 077) != 0) {
        char mode[8];
        std::snprintf(mode, sizeof mode, "%04o", static_cast<unsigned>(status.st_mode & 07777));
        throw TokenFileError("token file " + quoted(path) + " has mode " + mode +
                             ", so group or others may read or change it; run 'chmod 600' on it");
    }
    if (static_cast<size_t>(status.st_size) > kMaxTokenFileBytes)
        throw TokenFileError("token file " + quoted(path) + " is larger than " +
                             std::to_string(kMaxTokenFileBytes) + " bytes");
}

std::string readAll(int fd, const std::filesystem::path& path)
{
    std::string content;
    char buffer[512];
    for (;;) {
        const ssize_t count = read(fd, buffer, sizeof buffer);
        if (count < 0 && errno == EINTR)
            continue;
        if (count < 0)
            throw TokenFileError("cannot read token file " + quoted(path) + ": " + std::strerror(errno));
        if (count == 0)
            return content;
        content.append(buffer, static_cast<size_t>(count));
        if (content.size() > kMaxTokenFileBytes)
            throw TokenFileError("token file " + quoted(path) + " is larger than " +
                                 std::to_string(kMaxTokenFileBytes) + " bytes");
    }
}

} // namespace

BearerToken::BearerToken(std::string secret)
    : secret_(std::move(secret))
{
    if (secret_.size() < kMinTokenBytes)
        throw std::invalid_argument("token has " + std::to_string(secret_.size()) + " bytes; at least " +
                                    std::to_string(kMinTokenBytes) + " are required");
    const bool visible = std::all_of(secret_.begin(), secret_.end(),
                                     [](unsigned char c) { return c >= 0x21 && c <= 0x7e; });
    if (!visible)
        throw std::invalid_argument("token has a character outside visible ASCII, such as a blank");
}

BearerToken BearerToken::loadFromFile(const std::filesystem::path& path)
{
    const int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY);
    if (fd < 0)
        throw TokenFileError("cannot open token file " + quoted(path) + ": " + std::strerror(errno));

    std::string content;
    try {
        // fstat on the opened descriptor, so the checked file is the one that is read.
        struct stat status {};
        if (fstat(fd, &status) < 0)
            throw TokenFileError("cannot stat token file " + quoted(path) + ": " + std::strerror(errno));
        checkTokenFileStatus(path, status);
        content = readAll(fd, path);
    } catch (...) {
        close(fd);
        throw;
    }
    close(fd);

    if (content.ends_with('\n'))
        content.pop_back();
    if (content.ends_with('\r'))
        content.pop_back();
    try {
        return BearerToken(std::move(content));
    } catch (const std::invalid_argument& error) {
        throw TokenFileError("token file " + quoted(path) + " is unusable: " + error.what());
    }
}

bool BearerToken::acceptsAuthorization(std::string_view authorization) const
{
    constexpr std::string_view scheme = "bearer ";
    if (authorization.size() < scheme.size())
        return false;
    for (size_t i = 0; i < scheme.size(); ++i) {
        const char c = authorization[i];
        if ((c >= 'A' && c <= 'Z' ? c + 32 : c) != scheme[i])
            return false;
    }
    const std::string_view presented = authorization.substr(scheme.size());

    // Runs over the whole secret whatever is presented, and accumulates differences instead
    // of returning at the first one, so the time taken does not reveal a matching prefix.
    volatile unsigned char difference = presented.size() == secret_.size() ? 0 : 1;
    for (size_t i = 0; i < secret_.size(); ++i) {
        const unsigned char presentedByte = i < presented.size() ? static_cast<unsigned char>(presented[i]) : 0;
        difference = difference | (presentedByte ^ static_cast<unsigned char>(secret_[i]));
    }
    return difference == 0;
}

} // namespace pactown::gateway
