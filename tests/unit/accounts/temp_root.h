#pragma once

#include <filesystem>
#include <string>
#include <sys/stat.h>
#include <sys/types.h>

namespace pactown::test {

// A throwaway account root: a fresh directory under the system temp directory with an empty
// etc/, removed with everything in it by the destructor.
class TempRoot {
public:
    TempRoot();
    ~TempRoot();
    TempRoot(const TempRoot&) = delete;
    TempRoot& operator=(const TempRoot&) = delete;

    const std::filesystem::path& path() const { return path_; }
    std::filesystem::path etc() const { return path_ / "etc"; }

    // Writes etc/<name> with exactly `content`, `mode` and owner.
    void writeFile(const std::string& name, const std::string& content, mode_t mode = 0644,
                   uid_t owner = 0, gid_t group = 0) const;
    // Writes the four account files with the modes and owners of a Debian system: passwd and
    // group 0644 root:root, shadow and gshadow 0640 root:shadow (GID 42).
    void writeAccountFiles(const std::string& passwd, const std::string& group, const std::string& shadow,
                           const std::string& gshadow) const;
    // Returns the content of etc/<name>. A file that cannot be read fails the test.
    std::string readFile(const std::string& name) const;
    struct stat statFile(const std::string& name) const;
    bool exists(const std::string& name) const;
    // Returns the names in etc/ that are not account files, their backups, subuid, subgid or
    // .pwd.lock, such as leftover temp or lock files, separated by spaces.
    std::string strayFiles() const;

private:
    std::filesystem::path path_;
};

} // namespace pactown::test
