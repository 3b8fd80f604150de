#pragma once

#include <filesystem>
#include <cstdint>
#include <functional>
#include <memory>
#include <string_view>
#include <sys/types.h>

namespace pactown {

// An inclusive range of UIDs, each handed out together with the GID of the same number.
struct UidRange {
    uid_t min = 0;
    uid_t max = 0;
};

// Checks that `range` is not empty and stays clear of the IDs that the system and systemd
// reserve: 0-999 (system users), 60001-60513 (systemd-homed), 60514-60577 (systemd-nspawn
// --bind-user), 61184-65519 (DynamicUser=), 65534 (nobody), 65535 and 4294967295 ((uid_t)-1
// in 16 and 32 bits).
// Throws ConfigError naming the range and what it overlaps.
void checkUidRange(const UidRange& range);

// Returns whether NSS resolves `id` as a user ID (getpwuid_r) or a group ID (getgrgid_r).
// Throws SystemError if a lookup fails for a reason other than "not found".
bool isIdKnownToNss(uid_t id);

// Returns the lowest ID in `range` that is free as UID and as GID: not in <root>/etc/passwd
// or <root>/etc/group, not inside a range of <root>/etc/subuid or <root>/etc/subgid, not
// `reserved` (the IDs that the registry stores, quarantined ones included) and not known to
// `knownToNss`. The files are read once. NSS is asked only about IDs that pass every other
// check, so it makes few queries even with tens of thousands of accounts. NSS is the host's
// even when `root` is not "/", because a UID that the host knows would share ownership of
// files with the tenant on the host's file systems.
// The result is only a proposal: the caller writes the account (AccountWriter rejects a
// UID that became taken meanwhile) and records it in the registry.
// Throws ConfigError for a range that checkUidRange() rejects, UidRangeExhaustedError
// naming the range if no ID is free, SystemError if a file exists but cannot be read or an
// NSS lookup fails.
uid_t allocateUid(const UidRange& range, const std::filesystem::path& root,
                  const std::function<bool(uid_t)>& reserved,
                  const std::function<bool(uid_t)>& knownToNss = isIdKnownToNss);

// Hands out free IDs one after another, for a batch of accounts created in one update. The
// caller reports the IDs that are taken already through `isTaken`, so that no set of every
// used ID is copied per batch.
class UidAllocator {
public:
    // `isTaken`: whether an ID is a UID of passwd, a GID of group or an ID that the registry
    // stores, quarantined ones included. The constructor reads <root>/etc/subuid and subgid.
    // Throws ConfigError for a range that checkUidRange() rejects, SystemError if a file exists
    // but cannot be read.
    UidAllocator(const UidRange& range, const std::filesystem::path& root, std::function<bool(uid_t)> isTaken,
                 std::function<bool(uid_t)> knownToNss = isIdKnownToNss);
    ~UidAllocator();
    UidAllocator(const UidAllocator&) = delete;
    UidAllocator& operator=(const UidAllocator&) = delete;

    // Returns the lowest ID of the range that allocateUid() would accept and that this
    // allocator has not returned before. Throws UidRangeExhaustedError naming the range,
    // SystemError if an NSS lookup fails.
    uid_t allocate();

private:
    struct Subordinate;
    UidRange range_;
    std::function<bool(uid_t)> isTaken_;
    std::unique_ptr<Subordinate> subordinate_;
    std::function<bool(uid_t)> knownToNss_;
    uint64_t next_;
};

// Returns whether NSS resolves `name` as a user (getpwnam_r) or a group (getgrnam_r).
// Throws SystemError if a lookup fails for a reason other than "not found".
bool isNameKnownToNss(std::string_view name);

// Returns whether `name` is a user or group in <root>/etc/passwd or <root>/etc/group, or
// known to NSS (getpwnam_r, getgrnam_r). Used to skip Linux name candidates that another
// account already has.
// Throws SystemError if a file exists but cannot be read or an NSS lookup fails.
bool isAccountNameInUse(std::string_view name, const std::filesystem::path& root);

} // namespace pactown
