#pragma once

#include <cstddef>
#include <filesystem>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <sys/types.h>
#include <type_traits>
#include <unordered_set>
#include <vector>

#include <pactown/errors.h>
#include <pactown/isolated_user.h>

namespace pactown {

namespace sqlite {
class Database;
}

// Life cycle of a tenant row. A row stays in Creating or Deleting only while an operation runs
// or after it crashed; a repair finds such rows with listInState().
enum class TenantState {
    Creating,
    Active,
    Deleting,
};

const char* toString(TenantState state);

// One row of the tenants table.
struct TenantRecord {
    std::string saasUserId;
    std::string linuxName;
    uid_t uid = 0;
    gid_t gid = 0;
    std::string home;
    double createdAt = 0; // seconds since the Unix epoch
    TenantState state = TenantState::Creating;
    AccountMode mode = AccountMode::System;

    bool operator==(const TenantRecord&) const = default;
};

// A UID of a deleted tenant, kept out of allocation because files may still belong to it.
struct QuarantinedUid {
    uid_t uid = 0;
    std::string linuxName;
    double deletedAt = 0; // seconds since the Unix epoch

    bool operator==(const QuarantinedUid&) const = default;
};

// One mutating call, as recorded in the audit table.
struct AuditEntry {
    int64_t id = 0; // assigned by appendAudit(); ignored on input
    double time = 0; // seconds since the Unix epoch
    uid_t callerUid = 0;
    std::string method;
    std::string saasUserId;
    std::string result;

    bool operator==(const AuditEntry&) const = default;
};

// The field on which an insert clashed with a tenant or a quarantined UID.
enum class RegistryConflict {
    SaasUserId,
    LinuxName,
    Uid,
};

// An insert would duplicate a saas user id, Linux name or UID. Maps to the D-Bus error Failed
// when it escapes, because callers are expected to pick another candidate and retry.
class RegistryConflictError : public SystemError {
public:
    RegistryConflictError(RegistryConflict conflict, const std::string& message)
        : SystemError(message)
        , conflict_(conflict)
    {
    }
    RegistryConflict conflict() const noexcept { return conflict_; }

private:
    RegistryConflict conflict_;
};

// The authoritative mapping of saas user ids to Linux identities, the quarantine of UIDs of
// deleted tenants and the audit trail, in <stateDirectory>/registry.sqlite.
//
// Several processes may open the same directory: writes take SQLite's write lock (WAL mode)
// and wait up to 30 seconds for another writer before failing. Within one process, a Registry
// is safe to use from several threads. It has one connection guarded by a recursive mutex,
// and runInTransaction() holds that mutex until the transaction ends, so other threads wait
// for it. A Registry must not be used in a child created by fork(); open a new one there.
//
// Every method throws SystemError carrying SQLite's message when the database fails.
class Registry {
public:
    // Opens or creates the database. Creates stateDirectory (mode 0700, missing parents with
    // the default mode) and registry.sqlite (mode 0600) regardless of the umask, and sets an
    // existing database file back to 0600. Throws SystemError naming the path when the
    // directory or file cannot be created or opened, or when the schema is newer than this
    // program. It also throws when either is a symlink or is owned by another user, or when
    // the directory is writable by group or others.
    explicit Registry(const std::filesystem::path& stateDirectory);
    ~Registry();
    Registry(const Registry&) = delete;
    Registry& operator=(const Registry&) = delete;

    const std::filesystem::path& databasePath() const { return databasePath_; }

    std::optional<TenantRecord> findBySaasId(std::string_view saasUserId);
    std::optional<TenantRecord> findByLinuxName(std::string_view linuxName);
    std::optional<TenantRecord> findByUid(uid_t uid);
    // Returns the active tenants, oldest first.
    std::vector<TenantRecord> list();
    // Returns the tenants in one state, oldest first.
    std::vector<TenantRecord> listInState(TenantState state);

    // Adds a tenant. Throws RegistryConflictError naming the clashing value when the saas user
    // id, the Linux name or the UID belongs to another tenant or the UID is in quarantine.
    // Throws InvalidArgumentError for an empty saas user id, Linux name or home.
    void insert(const TenantRecord& record);
    // Throws NoSuchUserError when no tenant has that saas user id.
    void setState(std::string_view saasUserId, TenantState state);
    // Deletes the tenant, remembers its saas user id as deleted and, for a system account, puts
    // its UID into quarantine, in one transaction. Throws
    // NoSuchUserError when no tenant has that saas user id.
    void removeAndQuarantine(std::string_view saasUserId);
    // Deletes the row of a creation that was rolled back. Only a row in state Creating is
    // deleted, and its UID is not quarantined because no file can have it yet.
    void removeReservation(std::string_view saasUserId);
    // Whether the saas user id belonged to a tenant that was deleted and not created again.
    bool wasDeleted(std::string_view saasUserId);

    // True when the UID belongs to a system tenant in any state or is in quarantine.
    bool isUidReserved(uid_t uid);
    std::unordered_set<uid_t> reservedUids();
    // True when a tenant in any state has this Linux name. Names of deleted tenants are free,
    // because their accounts are gone.
    bool isNameTaken(std::string_view linuxName);
    std::vector<QuarantinedUid> quarantinedUids();
    // Makes a quarantined UID available again; does nothing for a UID not in quarantine.
    void releaseQuarantine(uid_t uid);

    // Stores an entry with a new id. NOTE: entries are never pruned, so the table grows by one
    // row per mutating call.
    void appendAudit(const AuditEntry& entry);
    // Returns the newest `limit` entries, oldest first.
    std::vector<AuditEntry> audit(size_t limit);

    // Runs body in a write transaction and returns its result. The outermost call starts with
    // BEGIN IMMEDIATE, which takes the database's write lock at once, so a check followed by an
    // insert is atomic across processes. A nested call runs in a savepoint. When body throws,
    // its changes are rolled back and the exception propagates; a failed COMMIT throws
    // SystemError.
    template <typename Body>
    std::invoke_result_t<Body&> runInTransaction(Body&& body);

private:
    void beginTransaction();
    void commitTransaction();
    void rollbackTransaction() noexcept;
    void enableWriteAheadLog();
    int readSchemaVersion();
    void createSchema();

    std::filesystem::path databasePath_;
    std::recursive_mutex mutex_;
    std::unique_ptr<sqlite::Database> database_;
    unsigned transactionDepth_ = 0;
};

template <typename Body>
std::invoke_result_t<Body&> Registry::runInTransaction(Body&& body)
{
    std::lock_guard lock(mutex_);
    beginTransaction();
    try {
        if constexpr (std::is_void_v<std::invoke_result_t<Body&>>) {
            body();
            commitTransaction();
        } else {
            auto result = body();
            commitTransaction();
            return result;
        }
    } catch (...) {
        rollbackTransaction();
        throw;
    }
}

} // namespace pactown
