#include "manager/tenant_store.h"

#include "accounts/account_writer.h"
#include "accounts/uid_allocator.h"
#include "home/home_directory.h"
#include "identity/linux_name.h"
#include "identity/saas_id.h"
#include "identity/sha256.h"
#include "registry/registry.h"

#include <pactown/errors.h>

#include <chrono>
#include <spdlog/spdlog.h>
#include <unistd.h>

namespace pactown {
namespace {

// Enough attempts to get past every candidate of linuxNameCandidate(); a saas id whose
// candidates are all taken is a sign of a broken hasher, not of many tenants.
constexpr unsigned maxNameAttempts = 64;

double secondsSinceEpoch()
{
    using namespace std::chrono;
    return duration<double>(system_clock::now().time_since_epoch()).count();
}

IsolatedUser toUser(const TenantRecord& record)
{
    return IsolatedUser{
        .saasUserId = record.saasUserId,
        .linuxUsername = record.linuxName,
        .linuxUid = record.uid,
        .linuxGid = record.gid,
        .homeDir = record.home,
        .createdAt = record.createdAt,
        .mode = record.mode,
    };
}

TenantRecord toRecord(const IsolatedUser& user, TenantState state)
{
    return TenantRecord{
        .saasUserId = user.saasUserId,
        .linuxName = user.linuxUsername,
        .uid = user.linuxUid,
        .gid = user.linuxGid,
        .home = user.homeDir.string(),
        .createdAt = user.createdAt,
        .state = state,
        .mode = user.mode,
    };
}

} // namespace

TenantStore::TenantStore(const Config& config, NameHasher hasher)
    : config_(config)
    , hasher_(hasher ? std::move(hasher) : NameHasher(sha256Hex))
    , registry_(std::make_unique<Registry>(config.stateDirectory))
{
    if (!config.virtualAccounts)
        accounts_ = std::make_unique<AccountWriter>(config.accountRoot);
}

TenantStore::~TenantStore() = default;

Registry& TenantStore::registry()
{
    return *registry_;
}

IsolatedUser TenantStore::getOrCreate(const std::string& saasUserId, bool* created)
{
    validateSaasUserId(saasUserId);
    if (created)
        *created = false;

    // Lookups of existing tenants read the registry only, never the account files.
    auto record = registry_->findBySaasId(saasUserId);
    if (record && record->state == TenantState::Active)
        return toUser(*record);

    std::lock_guard lock(createMutex_);
    IsolatedUser user = reserve(saasUserId);
    auto existing = registry_->findBySaasId(saasUserId);
    if (existing && existing->state == TenantState::Active)
        return toUser(*existing);

    try {
        complete(user);
    } catch (const AccountConflictError& conflict) {
        // Another writer (useradd, sysusers) took the name or UID between the reservation and
        // the write: give both back and choose again.
        spdlog::debug("account conflict for '{}', choosing again: {}", user.linuxUsername, conflict.what());
        rollBack(user);
        user = reserve(saasUserId);
        complete(user);
    } catch (...) {
        rollBack(user);
        throw;
    }
    if (created)
        *created = true;
    return user;
}

// Step 1: reserve a name and a UID in the registry, or return the reservation an interrupted
// creation left behind.
IsolatedUser TenantStore::reserve(const std::string& saasUserId)
{
    IsolatedUser user;
    registry_->runInTransaction([&] {
        if (auto record = registry_->findBySaasId(saasUserId)) {
            user = toUser(*record);
            return;
        }
        user.saasUserId = saasUserId;
        user.linuxUsername = chooseLinuxName(saasUserId);
        user.mode = config_.virtualAccounts ? AccountMode::Virtual : AccountMode::System;
        if (config_.virtualAccounts) {
            user.linuxUid = ::getuid();
            user.linuxGid = ::getgid();
        } else {
            UidRange range{config_.uidMin, config_.uidMax};
            user.linuxUid = allocateUid(range, config_.accountRoot,
                                        [this](uid_t uid) { return registry_->isUidReserved(uid); });
            user.linuxGid = user.linuxUid;
        }
        user.homeDir = config_.usersBase / user.linuxUsername;
        user.createdAt = secondsSinceEpoch();
        registry_->insert(toRecord(user, TenantState::Creating));
    });
    return user;
}

// Steps 2 to 4; each is idempotent, so a reservation left by a killed process completes here.
IsolatedUser TenantStore::complete(const IsolatedUser& user)
{
    if (accounts_) {
        auto entry = accounts_->findUser(user.linuxUsername);
        if (!entry) {
            accounts_->addAccounts({NewAccount{
                .name = user.linuxUsername,
                .uid = user.linuxUid,
                .gid = user.linuxGid,
                .gecos = "",
                .home = user.homeDir,
            }});
        } else if (entry->uid != user.linuxUid) {
            throw AccountConflictError("account '" + user.linuxUsername + "' exists with UID " +
                                       std::to_string(entry->uid) + ", reserved UID is " +
                                       std::to_string(user.linuxUid));
        }
    }
    createHome(config_.usersBase, user.linuxUsername, user.linuxUid, user.linuxGid);
    registry_->setState(user.saasUserId, TenantState::Active);
    return user;
}

void TenantStore::rollBack(const IsolatedUser& user)
{
    try {
        if (accounts_) {
            auto entry = accounts_->findUser(user.linuxUsername);
            if (entry && entry->uid == user.linuxUid)
                accounts_->removeAccounts({user.linuxUsername});
        }
        registry_->removeReservation(user.saasUserId);
    } catch (const std::exception& error) {
        spdlog::debug("rolling back the creation of '{}' failed, ignoring: {}", user.linuxUsername, error.what());
    }
}

// A name that neither another tenant nor an account of someone else uses. Candidates are
// deterministic, so the same saas id gets the same name on every host with the same tenants.
std::string TenantStore::chooseLinuxName(const std::string& saasUserId)
{
    for (unsigned attempt = 0; attempt < maxNameAttempts; ++attempt) {
        std::string candidate = linuxNameCandidate(saasUserId, attempt, hasher_);
        if (registry_->isNameTaken(candidate))
            continue;
        if (accounts_ && (accounts_->findUser(candidate) || accounts_->findGroup(candidate)))
            continue;
        return candidate;
    }
    throw SystemError("no free Linux name for saas user id " + quoteForMessage(saasUserId) + " after " +
                      std::to_string(maxNameAttempts) + " candidates");
}

std::optional<IsolatedUser> TenantStore::find(const std::string& saasUserId)
{
    validateSaasUserId(saasUserId);
    auto record = registry_->findBySaasId(saasUserId);
    if (!record || record->state != TenantState::Active)
        return std::nullopt;
    return toUser(*record);
}

std::optional<IsolatedUser> TenantStore::findByLinuxName(const std::string& linuxName)
{
    auto record = registry_->findByLinuxName(linuxName);
    if (!record || record->state != TenantState::Active)
        return std::nullopt;
    return toUser(*record);
}

std::vector<IsolatedUser> TenantStore::list()
{
    std::vector<IsolatedUser> users;
    for (const auto& record : registry_->list())
        users.push_back(toUser(record));
    return users;
}

void TenantStore::markDeleting(const std::string& saasUserId)
{
    registry_->setState(saasUserId, TenantState::Deleting);
}

void TenantStore::remove(const IsolatedUser& user)
{
    if (accounts_)
        accounts_->removeAccounts({user.linuxUsername});
    registry_->removeAndQuarantine(user.saasUserId);
}

bool TenantStore::wasDeleted(const std::string& saasUserId)
{
    return registry_->wasDeleted(saasUserId);
}

} // namespace pactown
