#pragma once

#include <pactown/config.h>

#include <filesystem>
#include <map>
#include <string>
#include <sys/types.h>
#include <vector>

#include <gtest/gtest.h>

#include "accounts/account_files.h"

namespace pactown::test {

// A private world for tenant tests, removed by the destructor: an account root with the
// entries of root and a users base and state directory inside it. The root also contains the
// shell and homes of its entries and a link that makes the users base resolve inside it, so
// that `pwck -R` and `grpck -R` check it as they would check a host.
class TenantWorld {
public:
    TenantWorld();
    ~TenantWorld();
    TenantWorld(const TenantWorld&) = delete;
    TenantWorld& operator=(const TenantWorld&) = delete;

    Config config(uid_t uidMin = 70000, uid_t uidMax = 79999) const;
    const std::filesystem::path& root() const { return root_; }
    std::filesystem::path usersBase() const { return root_ / "home" / "pactown_users"; }
    std::filesystem::path stateDirectory() const { return base_ / "state"; }

    std::vector<PasswdEntry> users() const;
    std::vector<GroupEntry> groups() const;
    void appendLine(const std::string& file, const std::string& line) const;

    // Runs pwck -r and grpck -r on the root and returns their output. Also names every
    // "<file>-" that shares the inode of its file, because shadow-utils rewrites the backup in
    // place and the next useradd would truncate the file itself. Empty when all is clean.
    std::string accountCheckErrors() const;

private:
    std::filesystem::path base_;
    std::filesystem::path root_;
};

// Fails the current test unless it runs as root, which the tests need to chown homes.
void requireRoot();

} // namespace pactown::test
