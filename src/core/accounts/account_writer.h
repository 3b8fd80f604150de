#pragma once

#include <pactown/errors.h>

#include <chrono>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <sys/types.h>
#include <vector>

#include "accounts/account_files.h"
#include "accounts/account_lock.h"

namespace pactown {

// A name, UID or GID to be created already exists in the account files. Nothing was written.
class AccountConflictError : public Error {
public:
    using Error::Error;
    const char* name() const noexcept override { return "AccountConflict"; }
};

// A user and its primary group of the same name, as the product creates them.
struct NewAccount {
    std::string name;
    uid_t uid = 0;
    gid_t gid = 0;
    std::string gecos;
    std::filesystem::path home;
    std::string shell = "/usr/sbin/nologin";
};

// Writes users and groups into <root>/etc/{passwd,group,shadow,gshadow} by itself, in the
// manner of systemd-sysusers --root, instead of running useradd once per account.
//
// Each call is one AccountUpdate under AccountLock. The files are read again under the lock
// and changed in memory. Every changed file is written to a temp file in the same directory
// with the mode and owner of the file it replaces, fsynced and renamed over it, and then
// the directory is fsynced. The version a file replaces stays as "<file>-" (as with
// shadow-utils) so that an operator can compare or roll back. Lines the call does not change
// are written back byte for byte.
//
// A crash between the renames of one call can leave one file updated and another not. The
// renames go in an order where that is harmless (see addAccounts and removeAccounts).
// NOTE: unlike shadow-utils, the writer does not flush the caches of nscd or sssd, so a host
// running either may resolve a new account by name only after their cache expires.
class AccountWriter {
public:
    explicit AccountWriter(std::filesystem::path root,
                           std::chrono::milliseconds lockTimeout = AccountLock::defaultTimeout);

    // Adds every account in one update: a passwd entry with password "x", a group with no
    // members, a shadow entry with the locked password "!*" and a gshadow entry with "!*".
    // New lines go before the first NIS line. The group and gshadow files are replaced
    // before shadow and passwd, so the user never appears without its group.
    // Throws InvalidArgumentError for an invalid name, home, gecos or shell, or for a name,
    // UID or GID given twice. Throws AccountConflictError if a name exists in any of the
    // four files, the UID in passwd or the GID in group. Throws SystemError if locking,
    // reading or writing fails. Nothing is written when it throws before the first rename.
    void addAccounts(const std::vector<NewAccount>& accounts);

    // Removes the user, the group of the same name and their shadow and gshadow entries for
    // every name in one update. A name that is not there is skipped. passwd is replaced
    // first, so a crash leaves at most an unused group. Other groups that list the user as a
    // member are left alone, because this product never adds such memberships.
    // Throws InvalidArgumentError for a name that isValidLinuxName() rejects, SystemError if
    // locking, reading or writing fails.
    void removeAccounts(const std::vector<std::string>& names);

    // Looks up the account files under the root, without the lock (a reader always sees a
    // whole file because files are replaced by rename). NSS is not consulted.
    // Throws SystemError if a file exists but cannot be read.
    std::optional<PasswdEntry> findUser(std::string_view name) const;
    std::optional<GroupEntry> findGroup(std::string_view name) const;

    const std::filesystem::path& root() const { return root_; }

private:
    std::filesystem::path root_;
    std::chrono::milliseconds lockTimeout_;
};

} // namespace pactown
