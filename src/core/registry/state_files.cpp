#include "registry/state_files.h"

#include <pactown/errors.h>

#include <cerrno>
#include <fcntl.h>
#include <string>
#include <sys/stat.h>
#include <system_error>
#include <unistd.h>

namespace pactown {

namespace {

constexpr mode_t directoryMode = 0700;
constexpr mode_t databaseMode = 0600;

// Closes a descriptor on every path out of a function.
class FileDescriptor {
public:
    explicit FileDescriptor(int fd) : fd_(fd) {}
    ~FileDescriptor()
    {
        if (fd_ >= 0)
            close(fd_);
    }
    FileDescriptor(const FileDescriptor&) = delete;
    FileDescriptor& operator=(const FileDescriptor&) = delete;
    int get() const { return fd_; }

private:
    int fd_;
};

std::string describeDirectory(const std::filesystem::path& directory)
{
    return "registry state directory '" + directory.string() + "'";
}

std::string describeFile(const std::filesystem::path& file)
{
    return "registry database '" + file.string() + "'";
}

// Another user who owns or can write the file could swap the registry, so both are refused.
void checkOwnership(const struct stat& status, const std::string& description)
{
    if (status.st_uid != geteuid())
        throw SystemError(description + " is owned by UID " + std::to_string(status.st_uid) +
                          ", not by the effective UID " + std::to_string(geteuid()));
    if ((status.st_mode & (S_IWGRP | S_IWOTH)) != 0)
        throw SystemError(description + " is writable by group or others; make it mode 0700 or 0755");
}

void createMissingDirectory(const std::filesystem::path& directory)
{
    std::error_code error;
    if (directory.has_parent_path())
        std::filesystem::create_directories(directory.parent_path(), error);
    if (error)
        throw SystemError(describeDirectory(directory) + ": failed to create its parent: " + error.message());

    if (mkdir(directory.c_str(), directoryMode) == 0) {
        // mkdir() applies the umask, so the mode is set again explicitly.
        if (chmod(directory.c_str(), directoryMode) != 0)
            throwSystemError(describeDirectory(directory) + ": failed to set mode 0700", errno);
    } else if (errno != EEXIST) {
        throwSystemError(describeDirectory(directory) + ": failed to create", errno);
    }
}

void tightenCompanionFile(const std::filesystem::path& file)
{
    FileDescriptor fd(open(file.c_str(), O_RDWR | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK));
    if (fd.get() < 0) {
        if (errno == ENOENT)
            return;
        throwSystemError(describeFile(file) + ": failed to open", errno);
    }

    struct stat status {};
    if (fstat(fd.get(), &status) != 0)
        throwSystemError(describeFile(file) + ": failed to read its status", errno);
    if (!S_ISREG(status.st_mode))
        throw SystemError(describeFile(file) + " is not a regular file");
    if ((status.st_mode & 07777) != databaseMode && fchmod(fd.get(), databaseMode) != 0)
        throwSystemError(describeFile(file) + ": failed to set mode 0600", errno);
}

} // namespace

void prepareStateDirectory(const std::filesystem::path& directory)
{
    createMissingDirectory(directory);

    FileDescriptor fd(open(directory.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
    if (fd.get() < 0)
        throwSystemError(describeDirectory(directory) + ": failed to open as a directory", errno);
    struct stat status {};
    if (fstat(fd.get(), &status) != 0)
        throwSystemError(describeDirectory(directory) + ": failed to read its status", errno);
    checkOwnership(status, describeDirectory(directory));
}

void prepareDatabaseFile(const std::filesystem::path& file)
{
    FileDescriptor fd(open(file.c_str(), O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK, databaseMode));
    if (fd.get() < 0)
        throwSystemError(describeFile(file) + ": failed to create or open", errno);

    struct stat status {};
    if (fstat(fd.get(), &status) != 0)
        throwSystemError(describeFile(file) + ": failed to read its status", errno);
    if (!S_ISREG(status.st_mode))
        throw SystemError(describeFile(file) + " is not a regular file");
    if (status.st_uid != geteuid())
        throw SystemError(describeFile(file) + " is owned by UID " + std::to_string(status.st_uid) +
                          ", not by the effective UID " + std::to_string(geteuid()));
    // open() applies the umask to a new file, and an old file may have been loosened by hand.
    if ((status.st_mode & 07777) != databaseMode && fchmod(fd.get(), databaseMode) != 0)
        throwSystemError(describeFile(file) + ": failed to set mode 0600", errno);

    // SQLite creates these with the mode of the database file, but older ones keep their mode.
    for (const char* suffix : {"-wal", "-shm", "-journal"})
        tightenCompanionFile(file.string() + suffix);
}

} // namespace pactown
