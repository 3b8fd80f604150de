#pragma once

#include <sys/types.h>

#include <filesystem>
#include <functional>
#include <string>
#include <vector>

// Helpers shared by the tests of src/core/data: temporary trees, hostile archives, listings.
namespace pactown::test {

// A directory below the system's temporary directory, mode 0755 so that a test UID can reach
// what it holds, removed with everything in it on destruction.
class TempTree {
public:
    TempTree();
    ~TempTree();
    TempTree(const TempTree&) = delete;
    TempTree& operator=(const TempTree&) = delete;

    const std::filesystem::path& path() const { return path_; }
    std::filesystem::path operator/(const std::string& name) const { return path_ / name; }

private:
    std::filesystem::path path_;
};

// A UID and GID that no account and no other test process uses: derived from this process's
// PID, far above any allocated range.
uid_t unusedUid();

// One entry of a test archive. Fields that an entry type does not use are ignored.
struct ArchiveEntrySpec {
    std::string name;
    char type = 'f'; // 'f' file, 'd' directory, 'l' symbolic link, 'h' hard link, 'c' character device, 'p' FIFO
    std::string content;
    unsigned mode = 0644;
    std::string link; // target of 'l' and 'h'
    uid_t uid = 0;
    gid_t gid = 0;
};

// A gzip-compressed pax archive holding exactly `entries`, names and headers as given.
std::string buildArchive(const std::vector<ArchiveEntrySpec>& entries);

// A memfd holding `bytes`, positioned at its start.
int memoryFile(const std::string& bytes);

// Everything below root, one line per entry, sorted: relative path, type, mode & 07777, owner,
// size and a hash of the content for files, target for links. Never follows links.
std::vector<std::string> listTree(const std::filesystem::path& root, bool withOwner = true);

// The names of the entries of a tar.gz, in archive order.
std::vector<std::string> archiveNames(int fd);

// The decompressed tar stream of a tar.gz held in fd.
std::string decompressedArchive(int fd);

// Runs body in a child process with the given UID and GID and returns its exit status (the
// child exits with 0 unless body returns false). Fails the test if the child cannot start.
int runAs(uid_t uid, gid_t gid, const std::function<bool()>& body);

// Writes `content` to path, creating or truncating it.
void writeFile(const std::filesystem::path& path, const std::string& content, unsigned mode = 0644);

} // namespace pactown::test
