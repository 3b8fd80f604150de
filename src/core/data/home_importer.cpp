#include "data/home_importer.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>

#include <spdlog/spdlog.h>

#include <pactown/errors.h>

#include "data/archive_handle.h"
#include "data/archive_paths.h"
#include "data/entry_extractor.h"
#include "data/fd_paths.h"
#include "data/progress_reporter.h"
#include "data/staging_directory.h"
#include "data/tree_removal.h"

namespace pactown {
namespace {

constexpr int64_t maxManifestBytes = 1024 * 1024;

[[noreturn]] void reject(const std::string& name, const std::string& reason)
{
    throw UnsafeArchiveError("archive entry '" + name + "' " + reason);
}

std::string afterEntry(const std::string& name)
{
    return name.empty() ? "at its start" : "after entry '" + name + "'";
}

ArchiveReader openArchiveReader(int inFd)
{
    ArchiveReader archive(archive_read_new());
    if (!archive)
        throw SystemError("cannot create an archive reader");
    if (archive_read_support_filter_gzip(archive.get()) != ARCHIVE_OK ||
        archive_read_support_format_tar(archive.get()) != ARCHIVE_OK)
        throw SystemError("cannot set up the archive reader: " + archiveError(archive.get()));
    if (archive_read_open_fd(archive.get(), inFd, 64 * 1024) != ARCHIVE_OK)
        throwArchiveReadFailure(archive.get(), afterEntry(""));
    return archive;
}

struct timespec entryMtime(struct archive_entry* entry)
{
    struct timespec time {0, UTIME_OMIT};
    if (archive_entry_mtime_is_set(entry)) {
        time.tv_sec = archive_entry_mtime(entry);
        time.tv_nsec = archive_entry_mtime_nsec(entry);
    }
    return time;
}

// Reads the archive entry by entry into the extractor. Returns the manifest.
class ArchiveImport {
public:
    ArchiveImport(struct archive* archive, EntryExtractor& extractor) : archive_(archive), extractor_(extractor) {}

    nlohmann::json run()
    {
        for (;;) {
            struct archive_entry* entry = nullptr;
            int status = archive_read_next_header(archive_, &entry);
            if (status == ARCHIVE_EOF)
                break;
            if (status < ARCHIVE_WARN)
                throwArchiveReadFailure(archive_, afterEntry(lastName_));
            requireGzip();
            importEntry(entry);
        }
        return manifest_;
    }

private:
    // Without gzip's trailer a stream cut at an entry boundary would pass for a whole archive.
    void requireGzip()
    {
        if (archive_filter_count(archive_) < 2 || archive_filter_code(archive_, 0) != ARCHIVE_FILTER_GZIP)
            throw UnsafeArchiveError("the archive is not a gzip-compressed tar archive");
    }

    void importEntry(struct archive_entry* entry)
    {
        const char* rawName = archive_entry_pathname(entry);
        if (rawName == nullptr)
            throw UnsafeArchiveError("an archive entry after '" + lastName_ + "' has no name");
        lastName_ = rawName;
        std::vector<std::string> components = splitArchivePath(lastName_);

        if (components.size() == 1 && components[0] == "manifest.json") {
            readManifest(entry);
            return;
        }
        if (components[0] != "home")
            reject(lastName_, "is outside 'home/'");
        components.erase(components.begin());
        if (components.empty()) {
            // The home itself: its mode and owner are set by the importer, not the archive.
            if (archive_entry_filetype(entry) != AE_IFDIR || archive_entry_hardlink(entry) != nullptr)
                reject(lastName_, "must be a directory");
            return;
        }
        extractEntry(entry, components);
    }

    void extractEntry(struct archive_entry* entry, const std::vector<std::string>& path)
    {
        if (const char* link = archive_entry_hardlink(entry)) {
            std::vector<std::string> target = splitArchivePath(link);
            if (target.size() < 2 || target[0] != "home")
                reject(lastName_, "is a hard link to '" + std::string(link) + "', which is outside 'home/'");
            target.erase(target.begin());
            extractor_.hardlink(path, lastName_, target, link);
            return;
        }

        mode_t mode = archive_entry_perm(entry);
        struct timespec mtime = entryMtime(entry);
        switch (archive_entry_filetype(entry)) {
        case AE_IFDIR:
            extractor_.directory(path, lastName_, mode, mtime);
            return;
        case AE_IFREG:
            extractor_.regularFile(path, lastName_, mode, mtime, archive_,
                                   archive_entry_size_is_set(entry) ? archive_entry_size(entry) : -1);
            return;
        case AE_IFLNK:
            extractor_.symlink(path, lastName_, archive_entry_symlink(entry), mtime);
            return;
        default:
            reject(lastName_, "is a device, FIFO or socket; only files, directories and links are accepted");
        }
    }

    void readManifest(struct archive_entry* entry)
    {
        if (!manifest_.is_null())
            reject(lastName_, "appears twice");
        if (archive_entry_filetype(entry) != AE_IFREG || archive_entry_hardlink(entry) != nullptr)
            reject(lastName_, "must be a regular file");
        if (archive_entry_size(entry) > maxManifestBytes)
            reject(lastName_, "is larger than " + std::to_string(maxManifestBytes) + " bytes");

        std::string text(static_cast<size_t>(archive_entry_size(entry)), '\0');
        la_ssize_t got = archive_read_data(archive_, text.data(), text.size());
        if (got < 0)
            throwArchiveReadFailure(archive_, afterEntry(lastName_));
        text.resize(static_cast<size_t>(got));
        manifest_ = nlohmann::json::parse(text, nullptr, false);
        if (manifest_.is_discarded() || !manifest_.is_object())
            reject(lastName_, "is not a JSON object");
    }

    struct archive* archive_;
    EntryExtractor& extractor_;
    std::string lastName_;
    nlohmann::json manifest_;
};

// Puts the staging directory in place of home. With RENAME_EXCHANGE the home is never missing;
// the old tree ends up under the staging name.
bool swapIntoPlace(int baseFd, const std::string& staging, int homeParentFd, const std::string& homeName)
{
    if (::renameat2(baseFd, staging.c_str(), homeParentFd, homeName.c_str(), RENAME_NOREPLACE) == 0)
        return false;
    if (errno != EEXIST && errno != EINVAL)
        throwSystemError("cannot move the imported home into place", errno);
    if (::renameat2(baseFd, staging.c_str(), homeParentFd, homeName.c_str(), RENAME_EXCHANGE) == 0)
        return true;
    if (errno != EINVAL)
        throwSystemError("cannot exchange the imported home with the old one", errno);

    // A filesystem without RENAME_EXCHANGE: for a moment there is no home.
    std::string old = randomName(stagingPrefix);
    if (::renameat(homeParentFd, homeName.c_str(), baseFd, old.c_str()) != 0 && errno != ENOENT)
        throwSystemError("cannot move the old home aside", errno);
    if (::renameat(baseFd, staging.c_str(), homeParentFd, homeName.c_str()) != 0) {
        int error = errno;
        ::renameat(baseFd, old.c_str(), homeParentFd, homeName.c_str());
        throwSystemError("cannot move the imported home into place", error);
    }
    if (::renameat(baseFd, old.c_str(), baseFd, staging.c_str()) != 0)
        spdlog::debug("import: the old home stays in '{}' of the users base", old);
    return true;
}

// An import may use the space and inodes that are free now, except a reserve of 5% of the
// filesystem (at least 256 MiB and 10,000 inodes) kept for the tenants that are already there.
void setBudgetFromFreeSpace(EntryExtractor& extractor, int baseFd)
{
    struct statvfs filesystem {};
    if (::fstatvfs(baseFd, &filesystem) != 0)
        throwSystemError("cannot read the free space of the users base", errno);
    uint64_t blockSize = filesystem.f_frsize;
    uint64_t available = filesystem.f_bavail * blockSize;
    uint64_t reserve = std::max<uint64_t>(filesystem.f_blocks * blockSize / 20, 256ull << 20);
    uint64_t inodeReserve = std::max<uint64_t>(filesystem.f_files / 20, 10'000);
    // Filesystems without an inode count (btrfs, some tmpfs) report zero files in all.
    uint64_t entries = filesystem.f_files == 0 ? UINT64_MAX
                       : filesystem.f_favail > inodeReserve ? filesystem.f_favail - inodeReserve
                                                            : 0;
    extractor.setBudget(available > reserve ? available - reserve : 0, entries);
}

} // namespace

nlohmann::json importHome(int inFd, const std::filesystem::path& usersBase, const std::filesystem::path& home,
                          uid_t uid, gid_t gid, const ProgressCallback& progress)
{
    std::string homeName = home.filename().string();
    if (homeName.empty() || homeName == "." || homeName == "..")
        throw InvalidArgumentError("home '" + home.string() + "' does not name a directory");
    UniqueFd baseFd = openTrustedDirectory(usersBase);
    UniqueFd homeParentFd = openTrustedDirectory(home.parent_path());

    struct stat input {};
    uint64_t total = ::fstat(inFd, &input) == 0 && S_ISREG(input.st_mode) ? static_cast<uint64_t>(input.st_size) : 0;
    ProgressReporter reporter(progress, total);

    StagingDirectory staging(baseFd.get(), stagingPrefix);
    ArchiveReader archive = openArchiveReader(inFd);
    EntryExtractor extractor(staging.fd(), uid, gid);
    setBudgetFromFreeSpace(extractor, baseFd.get());
    extractor.onData = [&] { reporter.update(static_cast<uint64_t>(archive_filter_bytes(archive.get(), -1))); };
    nlohmann::json manifest = ArchiveImport(archive.get(), extractor).run();
    extractor.finishDirectories();
    if (::fchown(staging.fd(), uid, gid) != 0 || ::fchmod(staging.fd(), 0700) != 0)
        throwSystemError("cannot set the owner and mode of the imported home", errno);
    reporter.update(static_cast<uint64_t>(archive_filter_bytes(archive.get(), -1)));
    archive.reset();

    if (swapIntoPlace(baseFd.get(), staging.name(), homeParentFd.get(), homeName)) {
        try {
            removeTreeAt(baseFd.get(), staging.name());
        } catch (const Error& error) {
            spdlog::debug("import: cannot remove the old home '{}': {}", staging.name(), error.what());
        }
    }
    staging.release();
    reporter.finish();
    return manifest;
}

} // namespace pactown
