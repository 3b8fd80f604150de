#include "accounts/account_file_io.h"

#include "accounts/crash_point.h"

#include <pactown/errors.h>

#include <cerrno>
#include <fcntl.h>
#include <set>
#include <sys/stat.h>
#include <unistd.h>

namespace pactown {

namespace {

std::string quotePath(const std::filesystem::path& path)
{
    return "'" + path.string() + "'";
}

std::string readAll(int fd, const std::filesystem::path& path)
{
    std::string content;
    char buffer[65536];
    for (;;) {
        ssize_t length = ::read(fd, buffer, sizeof(buffer));
        if (length < 0 && errno == EINTR)
            continue;
        if (length < 0)
            throwSystemError("failed to read " + quotePath(path), errno);
        if (length == 0)
            return content;
        content.append(buffer, static_cast<size_t>(length));
    }
}

void writeAll(int fd, std::string_view content, const std::filesystem::path& path)
{
    while (!content.empty()) {
        ssize_t length = ::write(fd, content.data(), content.size());
        if (length < 0 && errno == EINTR)
            continue;
        if (length < 0)
            throwSystemError("failed to write " + quotePath(path), errno);
        content.remove_prefix(static_cast<size_t>(length));
    }
}

void fsyncDirectory(const std::filesystem::path& directory)
{
    int fd = ::open(directory.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0)
        throwSystemError("failed to open directory " + quotePath(directory), errno);
    int result = ::fsync(fd);
    int error = errno;
    ::close(fd);
    if (result != 0)
        throwSystemError("failed to fsync directory " + quotePath(directory), error);
}

} // namespace

LoadedAccountFile loadAccountFile(const std::filesystem::path& path, const FileAttributes& defaults)
{
    LoadedAccountFile loaded;
    loaded.path = path;
    loaded.attributes = defaults;

    int fd = ::open(path.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0 && errno == ENOENT)
        return loaded;
    if (fd < 0)
        throwSystemError("failed to open " + quotePath(path), errno);

    struct stat status {};
    try {
        if (::fstat(fd, &status) != 0)
            throwSystemError("failed to stat " + quotePath(path), errno);
        if (!S_ISREG(status.st_mode))
            throw SystemError(quotePath(path) + " is not a regular file");
        loaded.content = readAll(fd, path);
    } catch (...) {
        ::close(fd);
        throw;
    }
    ::close(fd);

    loaded.exists = true;
    loaded.attributes = {status.st_mode & 07777, status.st_uid, status.st_gid};
    loaded.file = AccountFile::parse(loaded.content);
    return loaded;
}

FileReplacement::~FileReplacement()
{
    for (const auto& staged : staged_)
        ::unlink(staged.temp.c_str());
}

void FileReplacement::stage(const std::filesystem::path& target, std::string_view content,
                            const FileAttributes& attributes)
{
    std::string temp = target.string() + ".pactownXXXXXX";
    int fd = ::mkostemp(temp.data(), O_CLOEXEC);
    if (fd < 0)
        throwSystemError("failed to create a temp file beside " + quotePath(target), errno);
    staged_.push_back({temp, target});

    // Owner and mode are set before the content is written, so the secret content of shadow
    // is never readable with looser permissions than the file it replaces.
    try {
        if (::fchown(fd, attributes.owner, attributes.group) != 0)
            throwSystemError("failed to change the owner of " + quotePath(temp), errno);
        if (::fchmod(fd, attributes.mode) != 0)
            throwSystemError("failed to change the mode of " + quotePath(temp), errno);
        writeAll(fd, content, temp);
        if (::fsync(fd) != 0)
            throwSystemError("failed to fsync " + quotePath(temp), errno);
    } catch (...) {
        ::close(fd);
        throw;
    }
    if (::close(fd) != 0)
        throwSystemError("failed to close " + quotePath(temp), errno);
    crashPoint("account-file-staged");
}

void FileReplacement::commit()
{
    std::set<std::filesystem::path> directories;
    while (!staged_.empty()) {
        const Staged& staged = staged_.front();
        if (::rename(staged.temp.c_str(), staged.target.c_str()) != 0)
            throwSystemError("failed to rename " + quotePath(staged.temp) + " to " + quotePath(staged.target), errno);
        directories.insert(staged.target.parent_path());
        staged_.erase(staged_.begin());
        crashPoint("account-file-renamed");
    }

    for (const auto& directory : directories)
        fsyncDirectory(directory);
}

void writeChangedFiles(std::initializer_list<LoadedAccountFile*> order)
{
    FileReplacement replacement;
    for (LoadedAccountFile* loaded : order) {
        if (!loaded->file.changed())
            continue;
        if (loaded->exists)
            replacement.stage(loaded->path.string() + "-", loaded->content, loaded->attributes);
        replacement.stage(loaded->path, loaded->file.serialize(), loaded->attributes);
    }
    replacement.commit();
}

} // namespace pactown
