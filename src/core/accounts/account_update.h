#pragma once

#include <filesystem>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <sys/types.h>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "accounts/account_file_io.h"
#include "accounts/account_files.h"
#include "accounts/account_lock.h"

namespace pactown {

struct NewAccount;

// How far the entries of one account exist in the four account files.
enum class AccountPresence {
    Missing,  // in none of the files
    Partial,  // in some files, with the expected IDs where they exist: a write was cut short
    Complete, // in all four files with the expected UID and GID
    Conflict, // the name, UID or GID belongs to something else
};

// One update of <root>/etc/{passwd,group,shadow,gshadow}: the files read once under an
// AccountLock that the caller holds, checked and changed in memory, then written with one
// commit(). Several accounts can be added or removed in one update, which is how concurrent
// creations share one write.
class AccountUpdate {
public:
    // Reads the four files. `lock` is only evidence that the caller holds the lock for the
    // whole life of the update. Throws SystemError if a file exists but cannot be read.
    AccountUpdate(const std::filesystem::path& root, const AccountLock& lock);

    // Describes `account` against the files as read and changed so far. For Conflict,
    // `reason` receives a message naming what clashes.
    AccountPresence presenceOf(const NewAccount& account, std::string* reason = nullptr) const;
    // Whether the name appears in any of the four files.
    bool hasName(std::string_view name) const;
    // UIDs of passwd and GIDs of group.
    const std::unordered_set<uid_t>& usedIds() const { return usedIds_; }
    std::optional<PasswdEntry> user(std::string_view name) const;
    std::optional<GroupEntry> group(std::string_view name) const;
    // The users of passwd, in file order.
    std::vector<PasswdEntry> users() const;

    // Adds the entries of `account` that are missing, so that a partial account from an
    // interrupted write is completed. The caller checks presenceOf() first; an account in
    // Conflict throws AccountConflictError. Fields are validated as AccountWriter does.
    void add(const NewAccount& account);
    // Removes the user, its group and their shadow entries. Returns whether anything was there.
    bool remove(std::string_view name);

    bool changed() const;
    // Removes the temp files that an interrupted write left (see removeStaleTempFiles()) and
    // writes every changed file. After additions the order is gshadow, group, shadow, passwd.
    // After removals it is the reverse, so a crash between two renames never leaves a user
    // without its group. Throws InvalidArgumentError when additions and removals were
    // mixed in one update, SystemError when a write fails.
    void commit();

private:
    void indexEntries();

    std::filesystem::path root_;
    const AccountLock& lock_;
    LoadedAccountFile passwd_;
    LoadedAccountFile group_;
    LoadedAccountFile shadow_;
    LoadedAccountFile gshadow_;
    // Indexes of the entries, kept up to date by add() and remove(), so that checking a
    // batch of accounts or every tenant costs one read of the files.
    std::set<std::string, std::less<>> names_;
    std::unordered_set<uid_t> usedIds_;
    std::unordered_map<std::string, PasswdEntry> users_;
    std::unordered_map<std::string, GroupEntry> groups_;
    std::unordered_map<uid_t, std::string> uidOwners_;
    std::unordered_map<gid_t, std::string> gidOwners_;
    std::set<std::string, std::less<>> shadowNames_;
    std::set<std::string, std::less<>> gshadowNames_;
    bool added_ = false;
    bool removed_ = false;
};

// Throws InvalidArgumentError when the name, IDs, or home of `account` cannot be written.
void checkNewAccount(const NewAccount& account);

// Removes temp files that an interrupted write left in <root>/etc ("<file>.pactownXXXXXX").
// Call it only under the AccountLock, when no write of this product can be in progress.
// Returns the paths it removed. Throws SystemError when etc/ cannot be read.
std::vector<std::filesystem::path> removeStaleTempFiles(const std::filesystem::path& root, const AccountLock& lock);

} // namespace pactown
