// The leader's side of TenantStore::getOrCreate(): the steps of creation for a batch.
#include "manager/tenant_creation.h"

#include "accounts/crash_point.h"
#include "accounts/uid_allocator.h"
#include "home/home_directory.h"
#include "identity/linux_name.h"
#include "identity/saas_id.h"
#include "manager/tenant_locks.h"

#include <chrono>
#include <map>
#include <spdlog/spdlog.h>
#include <sys/stat.h>
#include <unistd.h>

namespace pactown {

namespace {

// Enough attempts to get past every candidate of linuxNameCandidate(). A saas id whose
// candidates are all taken points to a broken hasher, not to many tenants.
constexpr unsigned maxNameAttempts = 64;
// A batch whose account conflicts with a concurrent writer chooses again this often.
constexpr unsigned maxCreationRounds = 4;

double secondsSinceEpoch()
{
    using namespace std::chrono;
    return duration<double>(system_clock::now().time_since_epoch()).count();
}

void resolve(TenantStore::Reservation& reservation, bool created)
{
    for (auto* request : reservation.requests) {
        request->user = reservation.user;
        request->created = created && request == reservation.requests.front();
    }
}

void fail(const std::vector<TenantStore::PendingCreation*>& requests, std::exception_ptr error)
{
    for (auto* request : requests) {
        if (!request->user && !request->error)
            request->error = error;
    }
}

// Removes a home that a rolled-back creation made, if it contains nothing but an empty
// sandboxes/ and belongs to the reserved UID. Anything else is left for doctor() to report.
void removeEmptyHome(const IsolatedUser& user)
{
    struct stat status {};
    if (::lstat(user.homeDir.c_str(), &status) != 0 || !S_ISDIR(status.st_mode) || status.st_uid != user.linuxUid)
        return;
    ::rmdir((user.homeDir / "sandboxes").c_str());
    if (::rmdir(user.homeDir.c_str()) != 0)
        spdlog::debug("keeping home '{}' of a rolled-back creation: {}", user.homeDir.string(), strerror(errno));
}

} // namespace

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

NewAccount accountOf(const IsolatedUser& user)
{
    return NewAccount{
        .name = user.linuxUsername,
        .uid = user.linuxUid,
        .gid = user.linuxGid,
        .gecos = "",
        .home = user.homeDir,
    };
}

BusyError deletionInProgress(const TenantRecord& record)
{
    return BusyError("tenant '" + record.linuxName +
                     "' is being deleted; call again once the deletion has finished, or complete an "
                     "interrupted deletion with 'pactownctl doctor --repair'");
}

void TenantStore::createBatch(const std::vector<PendingCreation*>& batch)
{
    try {
        TenantLock creation(config_.stateDirectory, TenantLock::Kind::Creation);
        createLocked(batch);
    } catch (...) {
        fail(batch, std::current_exception());
    }
}

// Steps 1 to 4 for every request of the batch. The caller holds the creation lock. A tenant
// whose account clashes with one that another program wrote meanwhile is rolled back and
// reserved again with another name or UID in the next round.
void TenantStore::createLocked(std::vector<PendingCreation*> unresolved)
{
    const bool system = !config_.virtualAccounts;
    for (unsigned round = 0; round < maxCreationRounds && !unresolved.empty(); ++round) {
        std::vector<Reservation> written;
        std::vector<Reservation> conflicted;
        {
            std::optional<AccountLock> lock;
            std::optional<AccountUpdate> accounts;
            if (system) {
                lock.emplace(config_.accountRoot);
                accounts.emplace(config_.accountRoot, *lock, accountCache_.get());
            }
            for (auto& reservation : reserveAll(unresolved, system ? &*accounts : nullptr)) {
                if (reservation.alreadyActive) {
                    resolve(reservation, false);
                    continue;
                }
                try {
                    createHome(config_.usersBase, reservation.user.linuxUsername, reservation.user.linuxUid,
                               reservation.user.linuxGid);
                } catch (...) {
                    rollBack(reservation);
                    fail(reservation.requests, std::current_exception());
                    continue;
                }
                crashPoint("create-home-made");
                if (system) {
                    NewAccount account = accountOf(reservation.user);
                    std::string reason;
                    AccountPresence presence = accounts->presenceOf(account, &reason);
                    if (presence == AccountPresence::Conflict) {
                        spdlog::debug("account of '{}' clashes, choosing again: {}", account.name, reason);
                        conflicted.push_back(std::move(reservation));
                        continue;
                    }
                    if (presence != AccountPresence::Complete)
                        accounts->add(account);
                }
                written.push_back(std::move(reservation));
            }
            if (system)
                accounts->commit();
        }
        crashPoint("create-accounts-written");

        registry_->runInTransaction([&] {
            for (const auto& reservation : written)
                registry_->setState(reservation.user.saasUserId, TenantState::Active);
        });
        crashPoint("create-activated");
        for (auto& reservation : written)
            resolve(reservation, true);
        if (!written.empty()) {
            std::lock_guard lock(queueMutex_);
            ++counters_.batches;
            counters_.tenants += written.size();
        }

        unresolved.clear();
        for (auto& reservation : conflicted) {
            rollBack(reservation);
            unresolved.insert(unresolved.end(), reservation.requests.begin(), reservation.requests.end());
        }
    }
    if (!unresolved.empty())
        fail(unresolved, std::make_exception_ptr(SystemError(
                             "the account of saas user id " + quoteForMessage(unresolved.front()->saasUserId) +
                             " clashed with other accounts in " + std::to_string(maxCreationRounds) + " attempts")));
}

// Step 1 for every distinct saas user id of `unresolved`, in one registry transaction. A
// request that fails here gets its error; the others go on.
std::vector<TenantStore::Reservation> TenantStore::reserveAll(std::vector<PendingCreation*>& unresolved,
                                                               AccountUpdate* accounts)
{
    std::vector<Reservation> reservations;
    std::map<std::string, size_t> indexOfId;
    for (auto* request : unresolved) {
        auto [it, inserted] = indexOfId.emplace(request->saasUserId, reservations.size());
        if (inserted)
            reservations.push_back(Reservation{.user = {}, .requests = {}});
        reservations[it->second].requests.push_back(request);
    }

    std::vector<Reservation> reserved;
    std::unique_ptr<UidAllocator> allocator;
    registry_->runInTransaction([&] {
        for (auto& reservation : reservations) {
            const std::string& saasUserId = reservation.requests.front()->saasUserId;
            try {
                auto made = reserveOne(saasUserId, accounts, allocator);
                made->requests = std::move(reservation.requests);
                reserved.push_back(std::move(*made));
            } catch (...) {
                fail(reservation.requests, std::current_exception());
            }
        }
    });
    crashPoint("create-reserved");
    return reserved;
}

// Returns the tenant's row when it has one (active, or 'creating' after a crash), or reserves
// a new name and UID. Runs inside the reservation transaction.
std::optional<TenantStore::Reservation> TenantStore::reserveOne(const std::string& saasUserId,
                                                                 AccountUpdate* accounts,
                                                                 std::unique_ptr<UidAllocator>& allocator)
{
    if (auto record = registry_->findBySaasId(saasUserId)) {
        if (record->state == TenantState::Deleting)
            throw deletionInProgress(*record);
        return Reservation{.user = toUser(*record), .requests = {},
                           .alreadyActive = record->state == TenantState::Active};
    }

    IsolatedUser user;
    user.saasUserId = saasUserId;
    user.linuxUsername = chooseLinuxName(saasUserId, accounts);
    user.mode = config_.virtualAccounts ? AccountMode::Virtual : AccountMode::System;
    if (config_.virtualAccounts) {
        user.linuxUid = ::getuid();
        user.linuxGid = ::getgid();
    } else {
        if (!allocator) {
            // `accounts` outlives the allocator, which lives for one reservation transaction.
            auto isTaken = [accounts, reserved = registry_->reservedUids()](uid_t id) {
                return accounts->usedIds().contains(id) || reserved.contains(id);
            };
            allocator = std::make_unique<UidAllocator>(UidRange{config_.uidMin, config_.uidMax}, config_.accountRoot,
                                                       std::move(isTaken), host_.isIdKnown);
        }
        user.linuxUid = allocator->allocate();
        user.linuxGid = user.linuxUid;
    }
    user.homeDir = config_.usersBase / user.linuxUsername;
    user.createdAt = secondsSinceEpoch();
    registry_->insert(toRecord(user, TenantState::Creating));
    return Reservation{.user = std::move(user), .requests = {}};
}

// A name that no tenant, no account in the account files, no NSS user or group and no
// existing directory in the users base has. Candidates are deterministic, and the chosen name
// is kept in the registry, so a tenant keeps its name across restarts.
std::string TenantStore::chooseLinuxName(const std::string& saasUserId, AccountUpdate* accounts)
{
    for (unsigned attempt = 0; attempt < maxNameAttempts; ++attempt) {
        std::string candidate = linuxNameCandidate(saasUserId, attempt, hasher_);
        if (registry_->isNameTaken(candidate))
            continue;
        if (accounts && (accounts->hasName(candidate) || host_.isNameKnown(candidate)))
            continue;
        // The home of a deleted tenant, kept on request, must not go to another tenant.
        struct stat status {};
        if (::lstat((config_.usersBase / candidate).c_str(), &status) == 0)
            continue;
        return candidate;
    }
    throw SystemError("no free Linux name for saas user id " + quoteForMessage(saasUserId) + " after " +
                      std::to_string(maxNameAttempts) + " candidates");
}

// Gives back the reservation of a creation that could not finish: its empty home and its row.
// The account entries are not touched, because they belong to the account it clashed with.
void TenantStore::rollBack(const Reservation& reservation)
{
    try {
        removeEmptyHome(reservation.user);
        registry_->removeReservation(reservation.user.saasUserId);
    } catch (const std::exception& error) {
        spdlog::debug("rolling back the creation of '{}' failed, ignoring: {}", reservation.user.linuxUsername,
                      error.what());
    }
}

} // namespace pactown
