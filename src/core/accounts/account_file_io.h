#pragma once

#include <filesystem>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>
#include <sys/types.h>
#include <vector>

#include "accounts/account_files.h"

namespace pactown {

// Mode and owner of an account file: those of the existing file, or the defaults for one
// that does not exist yet.
struct FileAttributes {
    mode_t mode = 0644;
    uid_t owner = 0;
    gid_t group = 0;
};

// An account file as read from disk.
struct LoadedAccountFile {
    std::filesystem::path path;
    bool exists = false;
    std::string content;
    FileAttributes attributes;
    AccountFile file;
};

// Reads `path`. A missing file is empty and gets `defaults` as attributes.
// Throws SystemError if the file exists but cannot be read or is not a regular file.
LoadedAccountFile loadAccountFile(const std::filesystem::path& path, const FileAttributes& defaults);

// Saves the old content of each changed file in `order` as "<file>-", as shadow-utils does,
// stages the new content, then renames them all in that order. Throws SystemError.
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

    // Writes `content` to a temp file with `attributes`, fsynced.
    // Throws SystemError.
    void stage(const std::filesystem::path& target, std::string_view content,
               const FileAttributes& attributes);

    // Renames every staged file over its target and fsyncs the directories.
    // Throws SystemError. The files renamed until then stay replaced.
    void commit();

private:
    struct Staged {
        std::filesystem::path temp;
        std::filesystem::path target;
    };
    std::vector<Staged> staged_;
};

} // namespace pactown
