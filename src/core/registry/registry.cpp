#include "registry/registry.h"

#include "registry/sqlite.h"
#include "registry/state_files.h"

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <thread>

#include <spdlog/spdlog.h>
#include <sqlite3.h>

namespace pactown {

namespace {

constexpr int schemaVersion = 1;
// Many processes may queue for the write lock, each holding it only for a few statements.
constexpr std::chrono::milliseconds busyTimeout{30'000};

constexpr std::string_view schemaVersion1 = R"sql(
CREATE TABLE tenants (
    saas_user_id TEXT PRIMARY KEY NOT NULL,
    linux_name TEXT UNIQUE NOT NULL,
    uid INTEGER NOT NULL,
    gid INTEGER NOT NULL,
    home TEXT NOT NULL,
    created_at REAL NOT NULL,
    state TEXT NOT NULL CHECK (state IN ('creating', 'active', 'deleting')),
    mode TEXT NOT NULL CHECK (mode IN ('system', 'virtual'))
);
CREATE INDEX tenants_by_state_and_creation ON tenants (state, created_at);
-- Virtual tenants all have the caller's UID; only real accounts need UIDs of their own.
CREATE UNIQUE INDEX tenants_by_system_uid ON tenants (uid) WHERE mode = 'system';
CREATE INDEX tenants_by_uid ON tenants (uid);
-- Saas user ids of deleted tenants, so that deleting twice succeeds.
CREATE TABLE deleted_tenants (
    saas_user_id TEXT PRIMARY KEY NOT NULL,
    linux_name TEXT NOT NULL,
    deleted_at REAL NOT NULL
);
CREATE TABLE quarantined_uids (
    uid INTEGER PRIMARY KEY,
    linux_name TEXT,
    deleted_at REAL
);
CREATE TABLE audit (
    id INTEGER PRIMARY KEY,
    time REAL,
    caller_uid INTEGER,
    method TEXT,
    saas_user_id TEXT,
    result TEXT
);
PRAGMA user_version = 1;
)sql";

constexpr std::string_view tenantColumns =
    "SELECT saas_user_id, linux_name, uid, gid, home, created_at, state, mode FROM tenants ";

double currentTime()
{
    using namespace std::chrono;
    return duration<double>(system_clock::now().time_since_epoch()).count();
}

TenantState parseTenantState(const std::string& text)
{
    for (auto state : {TenantState::Creating, TenantState::Active, TenantState::Deleting})
        if (text == toString(state))
            return state;
    throw SystemError("registry contains a tenant in the unknown state '" + text + "'");
}

AccountMode parseAccountMode(const std::string& text)
{
    for (auto mode : {AccountMode::System, AccountMode::Virtual})
        if (text == toString(mode))
            return mode;
    throw SystemError("registry contains a tenant in the unknown mode '" + text + "'");
}

TenantRecord readTenant(const sqlite::Query& query)
{
    return TenantRecord{
        .saasUserId = query.textColumn(0),
        .linuxName = query.textColumn(1),
        .uid = static_cast<uid_t>(query.integerColumn(2)),
        .gid = static_cast<gid_t>(query.integerColumn(3)),
        .home = query.textColumn(4),
        .createdAt = query.realColumn(5),
        .state = parseTenantState(query.textColumn(6)),
        .mode = parseAccountMode(query.textColumn(7)),
    };
}

std::optional<TenantRecord> readOptionalTenant(sqlite::Query& query)
{
    if (!query.step())
        return std::nullopt;
    return readTenant(query);
}

std::vector<TenantRecord> readTenants(sqlite::Query& query)
{
    std::vector<TenantRecord> tenants;
    while (query.step())
        tenants.push_back(readTenant(query));
    return tenants;
}

void checkInsertable(const TenantRecord& record)
{
    if (record.saasUserId.empty())
        throw InvalidArgumentError("tenant record has an empty saas user id");
    if (record.linuxName.empty())
        throw InvalidArgumentError("tenant record of saas user id '" + record.saasUserId +
                                   "' has an empty Linux name");
    if (record.home.empty())
        throw InvalidArgumentError("tenant record '" + record.linuxName + "' has an empty home");
}

} // namespace

const char* toString(TenantState state)
{
    switch (state) {
    case TenantState::Creating:
        return "creating";
    case TenantState::Active:
        return "active";
    case TenantState::Deleting:
        return "deleting";
    }
    return "unknown";
}

Registry::Registry(const std::filesystem::path& stateDirectory)
    : databasePath_(stateDirectory / "registry.sqlite")
{
    prepareStateDirectory(stateDirectory);
    prepareDatabaseFile(databasePath_);
    database_ = std::make_unique<sqlite::Database>(databasePath_);

    sqlite3_busy_timeout(database_->handle(), static_cast<int>(busyTimeout.count()));
    enableWriteAheadLog();
    // FULL syncs the WAL at every commit, so a committed tenant survives a power loss.
    database_->execute("PRAGMA synchronous = FULL; PRAGMA foreign_keys = ON");
    createSchema();
    spdlog::debug("Opened registry '{}'", databasePath_.string());
}

Registry::~Registry() = default;

// WAL lets readers go on while one process writes. Switching to it needs an exclusive lock, and
// SQLite reports a switch by another process as busy without calling the busy handler, so the
// switch is retried here until the busy timeout passes.
void Registry::enableWriteAheadLog()
{
    auto deadline = std::chrono::steady_clock::now() + busyTimeout;
    while (!database_->executeUnlessBusy("PRAGMA journal_mode = WAL")) {
        if (std::chrono::steady_clock::now() > deadline)
            throw SystemError("registry database '" + databasePath_.string() +
                              "': timed out waiting for the lock to switch to write-ahead logging");
        std::this_thread::sleep_for(std::chrono::milliseconds(2));
    }

    auto query = database_->query("PRAGMA journal_mode");
    if (!query.step() || query.textColumn(0) != "wal")
        throw SystemError("registry database '" + databasePath_.string() +
                          "': failed to switch to write-ahead logging; is it on a network file system?");
}

int Registry::readSchemaVersion()
{
    auto query = database_->query("PRAGMA user_version");
    int version = query.step() ? static_cast<int>(query.integerColumn(0)) : 0;
    if (version > schemaVersion)
        throw SystemError("registry database '" + databasePath_.string() + "' has schema version " +
                          std::to_string(version) + ", newer than the version " +
                          std::to_string(schemaVersion) + " of this program");
    return version;
}

void Registry::createSchema()
{
    // The usual case reads only, so that opening does not wait for another process's write.
    if (readSchemaVersion() == schemaVersion)
        return;
    runInTransaction([this] {
        if (readSchemaVersion() == 0)
            database_->execute(schemaVersion1);
    });
}

void Registry::beginTransaction()
{
    database_->execute(transactionDepth_ == 0 ? "BEGIN IMMEDIATE" : "SAVEPOINT nested");
    ++transactionDepth_;
}

void Registry::commitTransaction()
{
    database_->execute(transactionDepth_ == 1 ? "COMMIT" : "RELEASE nested");
    --transactionDepth_;
}

void Registry::rollbackTransaction() noexcept
{
    // After some errors, such as a full disk or an I/O error, SQLite has already rolled the
    // whole transaction back. Then there is nothing left to roll back here.
    try {
        if (database_->inTransaction())
            database_->execute(transactionDepth_ == 1 ? "ROLLBACK" : "ROLLBACK TO nested; RELEASE nested");
    } catch (const SystemError& error) {
        spdlog::debug("Rollback in registry '{}' failed, ignoring: {}", databasePath_.string(), error.what());
    }
    --transactionDepth_;
}

std::optional<TenantRecord> Registry::findBySaasId(std::string_view saasUserId)
{
    std::lock_guard lock(mutex_);
    auto query = database_->query(std::string(tenantColumns) + "WHERE saas_user_id = ?1");
    query.bind(1, saasUserId);
    return readOptionalTenant(query);
}

std::optional<TenantRecord> Registry::findByLinuxName(std::string_view linuxName)
{
    std::lock_guard lock(mutex_);
    auto query = database_->query(std::string(tenantColumns) + "WHERE linux_name = ?1");
    query.bind(1, linuxName);
    return readOptionalTenant(query);
}

std::optional<TenantRecord> Registry::findByUid(uid_t uid)
{
    std::lock_guard lock(mutex_);
    auto query = database_->query(std::string(tenantColumns) + "WHERE uid = ?1");
    query.bind(1, static_cast<int64_t>(uid));
    return readOptionalTenant(query);
}

std::vector<TenantRecord> Registry::list()
{
    return listInState(TenantState::Active);
}

std::vector<TenantRecord> Registry::listInState(TenantState state)
{
    std::lock_guard lock(mutex_);
    auto query = database_->query(std::string(tenantColumns) + "WHERE state = ?1 ORDER BY created_at, rowid");
    query.bind(1, toString(state));
    return readTenants(query);
}

void Registry::insert(const TenantRecord& record)
{
    checkInsertable(record);
    runInTransaction([&] {
        if (findBySaasId(record.saasUserId))
            throw RegistryConflictError(RegistryConflict::SaasUserId,
                                        "saas user id '" + record.saasUserId + "' already has a tenant");
        if (findByLinuxName(record.linuxName))
            throw RegistryConflictError(RegistryConflict::LinuxName,
                                        "Linux name '" + record.linuxName + "' already belongs to a tenant");
        auto owner = findByUid(record.uid);
        if (owner && record.mode == AccountMode::System && owner->mode == AccountMode::System)
            throw RegistryConflictError(RegistryConflict::Uid, "UID " + std::to_string(record.uid) +
                                                                   " already belongs to tenant '" +
                                                                   owner->linuxName + "'");
        if (record.mode == AccountMode::System && isUidReserved(record.uid))
            throw RegistryConflictError(RegistryConflict::Uid,
                                        "UID " + std::to_string(record.uid) + " is in quarantine");

        auto query = database_->query(
            "INSERT INTO tenants (saas_user_id, linux_name, uid, gid, home, created_at, state, mode) "
            "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)");
        query.bind(1, record.saasUserId).bind(2, record.linuxName);
        query.bind(3, static_cast<int64_t>(record.uid)).bind(4, static_cast<int64_t>(record.gid));
        query.bind(5, record.home).bind(6, record.createdAt);
        query.bind(7, toString(record.state)).bind(8, toString(record.mode));
        query.run();

        auto revive = database_->query("DELETE FROM deleted_tenants WHERE saas_user_id = ?1");
        revive.bind(1, record.saasUserId);
        revive.run();
    });
}

void Registry::setState(std::string_view saasUserId, TenantState state)
{
    std::lock_guard lock(mutex_);
    auto query = database_->query("UPDATE tenants SET state = ?1 WHERE saas_user_id = ?2");
    query.bind(1, toString(state)).bind(2, saasUserId);
    query.run();
    if (database_->changes() == 0)
        throw NoSuchUserError("saas user id '" + std::string(saasUserId) + "' has no tenant");
}

void Registry::removeAndQuarantine(std::string_view saasUserId)
{
    runInTransaction([&] {
        auto tenant = findBySaasId(saasUserId);
        if (!tenant)
            throw NoSuchUserError("saas user id '" + std::string(saasUserId) + "' has no tenant");

        auto remove = database_->query("DELETE FROM tenants WHERE saas_user_id = ?1");
        remove.bind(1, saasUserId);
        remove.run();

        if (tenant->mode == AccountMode::System) {
            auto quarantine = database_->query(
                "INSERT OR REPLACE INTO quarantined_uids (uid, linux_name, deleted_at) VALUES (?1, ?2, ?3)");
            quarantine.bind(1, static_cast<int64_t>(tenant->uid)).bind(2, tenant->linuxName).bind(3, currentTime());
            quarantine.run();
        }

        auto remember = database_->query(
            "INSERT OR REPLACE INTO deleted_tenants (saas_user_id, linux_name, deleted_at) VALUES (?1, ?2, ?3)");
        remember.bind(1, saasUserId).bind(2, tenant->linuxName).bind(3, currentTime());
        remember.run();
    });
}

void Registry::removeReservation(std::string_view saasUserId)
{
    std::lock_guard lock(mutex_);
    auto query = database_->query("DELETE FROM tenants WHERE saas_user_id = ?1 AND state = 'creating'");
    query.bind(1, saasUserId);
    query.run();
}

bool Registry::wasDeleted(std::string_view saasUserId)
{
    std::lock_guard lock(mutex_);
    auto query = database_->query("SELECT EXISTS (SELECT 1 FROM deleted_tenants WHERE saas_user_id = ?1)");
    query.bind(1, saasUserId);
    return query.step() && query.integerColumn(0) != 0;
}

bool Registry::isUidReserved(uid_t uid)
{
    std::lock_guard lock(mutex_);
    auto query = database_->query("SELECT EXISTS (SELECT 1 FROM tenants WHERE uid = ?1 AND mode = 'system') "
                                  "OR EXISTS (SELECT 1 FROM quarantined_uids WHERE uid = ?1)");
    query.bind(1, static_cast<int64_t>(uid));
    return query.step() && query.integerColumn(0) != 0;
}

std::unordered_set<uid_t> Registry::reservedUids()
{
    std::lock_guard lock(mutex_);
    auto query = database_->query("SELECT uid FROM tenants WHERE mode = 'system' UNION SELECT uid FROM quarantined_uids");
    std::unordered_set<uid_t> uids;
    while (query.step())
        uids.insert(static_cast<uid_t>(query.integerColumn(0)));
    return uids;
}

bool Registry::isNameTaken(std::string_view linuxName)
{
    std::lock_guard lock(mutex_);
    auto query = database_->query("SELECT EXISTS (SELECT 1 FROM tenants WHERE linux_name = ?1)");
    query.bind(1, linuxName);
    return query.step() && query.integerColumn(0) != 0;
}

std::vector<QuarantinedUid> Registry::quarantinedUids()
{
    std::lock_guard lock(mutex_);
    auto query = database_->query("SELECT uid, linux_name, deleted_at FROM quarantined_uids ORDER BY uid");
    std::vector<QuarantinedUid> uids;
    while (query.step())
        uids.push_back({static_cast<uid_t>(query.integerColumn(0)), query.textColumn(1), query.realColumn(2)});
    return uids;
}

void Registry::releaseQuarantine(uid_t uid)
{
    std::lock_guard lock(mutex_);
    auto query = database_->query("DELETE FROM quarantined_uids WHERE uid = ?1");
    query.bind(1, static_cast<int64_t>(uid));
    query.run();
}

void Registry::appendAudit(const AuditEntry& entry)
{
    std::lock_guard lock(mutex_);
    auto query = database_->query(
        "INSERT INTO audit (time, caller_uid, method, saas_user_id, result) VALUES (?1, ?2, ?3, ?4, ?5)");
    query.bind(1, entry.time).bind(2, static_cast<int64_t>(entry.callerUid));
    query.bind(3, entry.method).bind(4, entry.saasUserId).bind(5, entry.result);
    query.run();
}

std::vector<AuditEntry> Registry::audit(size_t limit)
{
    std::lock_guard lock(mutex_);
    auto query = database_->query(
        "SELECT id, time, caller_uid, method, saas_user_id, result FROM "
        "(SELECT * FROM audit ORDER BY id DESC LIMIT ?1) ORDER BY id");
    query.bind(1, static_cast<int64_t>(std::min<size_t>(limit, INT64_MAX)));
    std::vector<AuditEntry> entries;
    while (query.step()) {
        entries.push_back({
            .id = query.integerColumn(0),
            .time = query.realColumn(1),
            .callerUid = static_cast<uid_t>(query.integerColumn(2)),
            .method = query.textColumn(3),
            .saasUserId = query.textColumn(4),
            .result = query.textColumn(5),
        });
    }
    return entries;
}

} // namespace pactown
