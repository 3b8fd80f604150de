#pragma once

#include <cstdint>
#include <filesystem>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>
#include <sys/stat.h>
#include <sys/types.h>
#include <vector>

#include "accounts/account_files.h"
#include "accounts/account_lock.h"

namespace pactown {

// Mode and owner of an account file: those of the existing file, or the defaults for one
// that does not exist yet.
struct FileAttributes {
    mode_t mode = 0644;
    uid_t owner = 0;
    gid_t group = 0;
};

// Device, inode, size, mtime and ctime of a file, which differ between two versions of it. A
// writer either renames a new file over the old one (new inode) or writes in place (new ctime,
// which no program can set back). A file that does not exist has the default identity.
// NOTE: an in-place write within the file system's timestamp granularity after the previous
// change, keeping the size, keeps the identity too. Writers that take the AccountLock cannot
// do that while this product holds it.
struct FileIdentity {
    bool exists = false;
    dev_t device = 0;
    ino_t inode = 0;
    off_t size = 0;
    int64_t mtimeNanoseconds = 0;
    int64_t ctimeNanoseconds = 0;

    bool operator==(const FileIdentity&) const = default;
};

// lstat() of `path`. Throws SystemError for an error other than ENOENT.
FileIdentity currentFileIdentity(const std::filesystem::path& path);

// An account file as read from disk, or as this process last wrote it.
struct LoadedAccountFile {
    std::filesystem::path path;
    FileIdentity identity;
    FileAttributes attributes;
    AccountFile file;
};

// Reads `path`. A missing file is empty and gets `defaults` as attributes.
// Throws SystemError if the file exists but cannot be read or is not a regular file.
LoadedAccountFile loadAccountFile(const std::filesystem::path& path, const FileAttributes& defaults);

// Stages the new content of each changed file in `order`, then renames them all in that
// order. The version each one replaces becomes "<file>-", as with shadow-utils, unless that
// name cannot be replaced, which is logged. Afterwards each written file has the identity of
// its new version and no pending change.
// Throws SystemError, before any rename for an immutable or append-only file; after a failed
// rename, the files renamed until then stay replaced.
void writeChangedFiles(std::initializer_list<LoadedAccountFile*> order);

// New contents for a set of files, staged as temp files beside their targets and renamed over
// them in the order they were staged. Temp files that were not renamed are removed by the
// destructor, so a failure before commit() leaves every target as it was.
class FileReplacement {
public:
    FileReplacement() = default;
    ~FileReplacement();
    FileReplacement(const FileReplacement&) = delete;
    FileReplacement& operator=(const FileReplacement&) = delete;

    // The purpose of a staged file. A backup whose rename fails is logged and skipped, because
    // the files it backs up are already replaced by then.
    enum class Role { File, Backup };

    // Writes `content` to a temp file with `attributes`, fsynced. Throws SystemError.
    void stage(const std::filesystem::path& target, std::string_view content, const FileAttributes& attributes,
               Role role = Role::File);

    // Links `source` under a temp name, to be renamed over `target` by commit() as a backup,
    // so that `target` gets the inode that `source` has now. Returns false when the file
    // system does not support hard links. Throws SystemError.
    bool stageLink(const std::filesystem::path& source, const std::filesystem::path& target);

    // Renames every staged file over its target, in the order of staging, and fsyncs the
    // directories.
    // Throws SystemError. The files renamed until then stay replaced.
    void commit();

private:
    struct Staged {
        std::filesystem::path temp;
        std::filesystem::path target;
        Role role = Role::File;
    };
    std::vector<Staged> staged_;
};

// The temp files in <root>/etc that a write of this product creates ("<file>.pactownXXXXXX",
// and "<file>-.pactownXXXXXX" for backups). Outside the AccountLock some may belong to a write
// in progress. Throws SystemError when etc/ cannot be read.
std::vector<std::filesystem::path> listStaleTempFiles(const std::filesystem::path& root);

// Removes temp files that an interrupted write left in <root>/etc (see listStaleTempFiles()).
// Call it only under the AccountLock, when no write of this product can be in progress.
// Returns the paths it removed. Throws SystemError when etc/ cannot be read.
std::vector<std::filesystem::path> removeStaleTempFiles(const std::filesystem::path& root, const AccountLock& lock);

} // namespace pactown
