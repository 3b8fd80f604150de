#include "accounts/account_file_io.h"

#include "accounts/crash_point.h"

#include <pactown/errors.h>

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <linux/fs.h>
#include <spdlog/spdlog.h>
#include <sys/ioctl.h>
#include <random>
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

constexpr std::string_view tempFileMarker = ".pactown";

// Six characters, as mkostemp() appends them, so that removeStaleTempFiles() recognises the
// name.
std::string tempSuffix()
{
    static constexpr std::string_view alphabet = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
    thread_local std::mt19937 generator(std::random_device{}());
    std::uniform_int_distribution<size_t> pick(0, alphabet.size() - 1);
    std::string suffix(6, ' ');
    for (char& character : suffix)
        character = alphabet[pick(generator)];
    return suffix;
}

std::string readFile(const std::filesystem::path& path)
{
    int fd = ::open(path.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0)
        throwSystemError("failed to open " + quotePath(path), errno);
    std::string content;
    try {
        content = readAll(fd, path);
    } catch (...) {
        ::close(fd);
        throw;
    }
    ::close(fd);
    return content;
}

// Rejects, before anything is renamed, a file that rename() could not replace, so that such
// a file does not stop an update halfway through the four files.
void checkReplaceable(const std::filesystem::path& path)
{
    int fd = ::open(path.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
    if (fd < 0 && errno == ENOENT)
        return;
    if (fd < 0)
        throwSystemError("failed to open " + quotePath(path), errno);
    int flags = 0;
    int result = ::ioctl(fd, FS_IOC_GETFLAGS, &flags);
    int error = errno;
    ::close(fd);
    // File systems without inode flags cannot make a file immutable either.
    if (result != 0 && error != ENOTTY && error != EOPNOTSUPP && error != EINVAL)
        throwSystemError("failed to read the inode flags of " + quotePath(path), error);
    if (result == 0 && (flags & (FS_IMMUTABLE_FL | FS_APPEND_FL)) != 0)
        throw SystemError(quotePath(path) + " is immutable or append-only and cannot be replaced; clear the flag "
                          "with 'chattr -i -a " + path.string() + "'");
}

FileIdentity fileIdentityOf(const struct stat& status)
{
    return {
        .exists = true,
        .device = status.st_dev,
        .inode = status.st_ino,
        .size = status.st_size,
        .mtimeNanoseconds = int64_t{status.st_mtim.tv_sec} * 1000000000 + status.st_mtim.tv_nsec,
        .ctimeNanoseconds = int64_t{status.st_ctim.tv_sec} * 1000000000 + status.st_ctim.tv_nsec,
    };
}

} // namespace

FileIdentity currentFileIdentity(const std::filesystem::path& path)
{
    struct stat status {};
    if (::lstat(path.c_str(), &status) == 0)
        return fileIdentityOf(status);
    if (errno != ENOENT)
        throwSystemError("failed to stat " + quotePath(path), errno);
    return {};
}

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
    std::string content;
    try {
        if (::fstat(fd, &status) != 0)
            throwSystemError("failed to stat " + quotePath(path), errno);
        if (!S_ISREG(status.st_mode))
            throw SystemError(quotePath(path) + " is not a regular file");
        content = readAll(fd, path);
    } catch (...) {
        ::close(fd);
        throw;
    }
    ::close(fd);

    loaded.identity = fileIdentityOf(status);
    loaded.attributes = {status.st_mode & 07777, status.st_uid, status.st_gid};
    loaded.file = AccountFile::parse(content);
    return loaded;
}

FileReplacement::~FileReplacement()
{
    for (const auto& staged : staged_)
        ::unlink(staged.temp.c_str());
}

void FileReplacement::stage(const std::filesystem::path& target, std::string_view content,
                            const FileAttributes& attributes, Role role)
{
    std::string temp = target.string() + std::string(tempFileMarker) + "XXXXXX";
    int fd = ::mkostemp(temp.data(), O_CLOEXEC);
    if (fd < 0)
        throwSystemError("failed to create a temp file beside " + quotePath(target), errno);
    staged_.push_back({temp, target, role});

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

bool FileReplacement::stageLink(const std::filesystem::path& source, const std::filesystem::path& target)
{
    for (unsigned attempt = 0; attempt < 100; ++attempt) {
        std::string temp = target.string() + std::string(tempFileMarker) + tempSuffix();
        if (::link(source.c_str(), temp.c_str()) == 0) {
            staged_.push_back({temp, target, Role::Backup});
            crashPoint("account-file-linked");
            return true;
        }
        if (errno == EEXIST)
            continue;
        if (errno == EPERM || errno == EXDEV || errno == EMLINK || errno == EOPNOTSUPP)
            return false;
        throwSystemError("failed to link " + quotePath(source) + " to " + quotePath(temp), errno);
    }
    throw SystemError("failed to find a free temp name beside " + quotePath(target));
}

void FileReplacement::commit()
{
    std::set<std::filesystem::path> directories;
    while (!staged_.empty()) {
        const Staged& staged = staged_.front();
        int result = ::rename(staged.temp.c_str(), staged.target.c_str());
        int error = errno;
        directories.insert(staged.target.parent_path());
        if (staged.role == Role::Backup) {
            // rename() between two links of one inode succeeds without removing the temp name.
            ::unlink(staged.temp.c_str());
            // The files are already replaced, so a backup that cannot be kept (say, "<file>-"
            // is a directory) must not fail an update that has happened.
            if (result != 0)
                spdlog::warn("failed to keep the replaced version as {}: {}; the account files are "
                             "written, move {} away so that the next update keeps a backup",
                             quotePath(staged.target), std::strerror(error), quotePath(staged.target));
        } else if (result != 0) {
            throwSystemError("failed to rename " + quotePath(staged.temp) + " to " + quotePath(staged.target), error);
        }
        Role role = staged.role;
        staged_.erase(staged_.begin());
        crashPoint(role == Role::Backup ? "account-file-backed-up" : "account-file-renamed");
    }

    for (const auto& directory : directories)
        fsyncDirectory(directory);
}

void writeChangedFiles(std::initializer_list<LoadedAccountFile*> order)
{
    std::vector<LoadedAccountFile*> written;
    for (LoadedAccountFile* loaded : order) {
        if (loaded->file.changed()) {
            checkReplaceable(loaded->path);
            written.push_back(loaded);
        }
    }

    FileReplacement replacement;
    for (LoadedAccountFile* loaded : written) {
        replacement.stage(loaded->path, loaded->file.serialize(), loaded->attributes);
        if (!loaded->identity.exists)
            continue;
        // The version being replaced becomes "<file>-" right after the new one is in place.
        // A hard link copies nothing, so a write does not cost twice the size of the files.
        // The backup is linked to the old inode only after the file has left it, because
        // shadow-utils rewrites "<file>-" in place and would otherwise truncate the file.
        std::filesystem::path backup = loaded->path.string() + "-";
        if (!replacement.stageLink(loaded->path, backup))
            replacement.stage(backup, readFile(loaded->path), loaded->attributes, FileReplacement::Role::Backup);
    }
    replacement.commit();
    // Taken after the rename, which changes the ctime.
    for (LoadedAccountFile* loaded : written) {
        loaded->identity = currentFileIdentity(loaded->path);
        loaded->file.markWritten();
    }
}

std::vector<std::filesystem::path> listStaleTempFiles(const std::filesystem::path& root)
{
    std::vector<std::filesystem::path> paths;
    std::error_code error;
    for (const auto& entry : std::filesystem::directory_iterator(root / "etc", error)) {
        std::string name = entry.path().filename().string();
        auto marker = name.rfind(tempFileMarker);
        // mkostemp() appends six characters to the marker.
        if (marker != std::string::npos && marker + tempFileMarker.size() + 6 == name.size())
            paths.push_back(entry.path());
    }
    if (error)
        throw SystemError("cannot read directory '" + (root / "etc").string() + "': " + error.message());
    return paths;
}

std::vector<std::filesystem::path> removeStaleTempFiles(const std::filesystem::path& root, const AccountLock&)
{
    std::vector<std::filesystem::path> removed;
    for (auto& path : listStaleTempFiles(root)) {
        if (::unlink(path.c_str()) != 0 && errno != ENOENT)
            throwSystemError("failed to remove the stale temp file '" + path.string() + "'", errno);
        removed.push_back(std::move(path));
    }
    return removed;
}

} // namespace pactown
