#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <mutex>
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

struct AccountSnapshot;

// The account files of one root as the last AccountUpdate left them: parsed, indexed and equal
// to the versions on disk. A long-lived owner keeps one, so that the next update starts from
// it instead of rereading and reindexing every file, which would make each creation cost more
// as the files grow. An update uses it only if every file still has the identity recorded in
// it (see FileIdentity), that is, if no other program wrote the files since.
class AccountFilesCache {
public:
    AccountFilesCache();
    ~AccountFilesCache();
    AccountFilesCache(const AccountFilesCache&) = delete;
    AccountFilesCache& operator=(const AccountFilesCache&) = delete;

    // How many updates started from the cache and how many read the files.
    struct Counters {
        uint64_t reused = 0;
        uint64_t read = 0;
    };
    Counters counters() const;

private:
    friend class AccountUpdate;
    // Hands the snapshot to one update at a time. A concurrent update reads the files.
    std::unique_ptr<AccountSnapshot> take();
    void keep(std::unique_ptr<AccountSnapshot> snapshot, bool reused);

    mutable std::mutex mutex_;
    std::unique_ptr<AccountSnapshot> snapshot_;
    Counters counters_;
};

// One update of <root>/etc/{passwd,group,shadow,gshadow}: the files read once under an
// AccountLock that the caller holds (or taken from `cache` when unchanged on disk), checked
// and changed in memory, then written with one commit(). Several accounts can be added or
// removed in one update, which is how concurrent creations share one write.
class AccountUpdate {
public:
    // Reads the four files. `lock` is only evidence that the caller holds the lock for the
    // whole life of the update. With a cache, the files are read only when one of them
    // changed since the cache was filled, and the destructor puts the state back into the
    // cache unless the update has changes that were not committed.
    // Throws SystemError if a file exists but cannot be read.
    AccountUpdate(const std::filesystem::path& root, const AccountLock& lock, AccountFilesCache* cache = nullptr);
    ~AccountUpdate();
    AccountUpdate(const AccountUpdate&) = delete;
    AccountUpdate& operator=(const AccountUpdate&) = delete;

    // Describes `account` against the files as read and changed so far. For Conflict,
    // `reason` receives a message naming what clashes.
    AccountPresence presenceOf(const NewAccount& account, std::string* reason = nullptr) const;
    // Whether the name appears in any of the four files.
    bool hasName(std::string_view name) const;
    // UIDs of passwd and GIDs of group.
    const std::unordered_set<uid_t>& usedIds() const;
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
    // Removes the temp files that an interrupted write left (see removeStaleTempFiles()), even
    // when nothing changed, and writes every changed file. A write killed after its last
    // rename leaves the temp link of a backup. After additions the order is gshadow, group,
    // shadow, passwd.
    // After removals it is the reverse, so a crash between two renames never leaves a user
    // without its group. Throws InvalidArgumentError when additions and removals were
    // mixed in one update, SystemError when a write fails.
    void commit();

private:
    std::filesystem::path root_;
    const AccountLock& lock_;
    AccountFilesCache* cache_;
    std::unique_ptr<AccountSnapshot> state_;
    bool reused_ = false;
    bool added_ = false;
    bool removed_ = false;
};

// Throws InvalidArgumentError when the name, IDs, or home of `account` cannot be written.
void checkNewAccount(const NewAccount& account);

} // namespace pactown
