#pragma once

#include <pactown/config.h>
#include <pactown/isolated_user.h>
#include <pactown/user_isolation_manager.h>

#include <condition_variable>
#include <cstdint>
#include <exception>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "accounts/account_update.h"
#include "registry/registry.h"

namespace pactown {

class AccountUpdate;

// Name lookups outside the account root, a seam for tests. The defaults ask NSS.
struct HostAccounts {
    std::function<bool(uid_t)> isIdKnown;
    std::function<bool(std::string_view)> isNameKnown;
};

// The tenants' identities: registry rows, account file entries and homes, kept consistent.
// Creation is a sequence whose every step can be resumed, so that a process killed in the
// middle leaves work that the next call or doctor() completes:
//   1. a registry row in state 'creating' reserves the name and UID (one transaction);
//   2. the home and sandboxes/ are created, before the account, so that an account never
//      points to a missing home;
//   3. the account entries are written under the account files lock;
//   4. the row becomes 'active'.
// Concurrent calls of one process are created together (group commit): the first caller
// becomes the leader and runs the steps for every queued request, with one update of the
// account files, while the others wait for their results. Processes exclude each other with
// the creation lock of TenantLock and the account files lock.
class TenantStore {
public:
    TenantStore(const Config& config, NameHasher hasher = {}, HostAccounts host = {});
    ~TenantStore();

    // Throws InvalidArgumentError for a malformed id, UidRangeExhaustedError, BusyError for a
    // tenant being deleted, SystemError. Sets `created` when this call created the tenant.
    IsolatedUser getOrCreate(const std::string& saasUserId, bool* created = nullptr);
    std::optional<IsolatedUser> find(const std::string& saasUserId);
    std::optional<IsolatedUser> findByLinuxName(const std::string& linuxName);
    std::vector<IsolatedUser> list();

    // The steps of a deletion, in this order, under TenantLock::Kind::Deletion of the id.
    // markDeleting() makes an interrupted delete visible and resumable. removeAccount()
    // removes the account entries if they still have the tenant's UID. forget() removes the
    // row and puts the UID into quarantine.
    void markDeleting(const std::string& saasUserId);
    void removeAccount(const IsolatedUser& user);
    void forget(const IsolatedUser& user);
    // True when the saas user id belonged to a deleted tenant.
    bool wasDeleted(const std::string& saasUserId);

    // Adds the findings about accounts and homes to `report`, and with repair completes rows
    // left in 'creating' and re-creates what is missing. Rows in 'deleting' are left to the
    // caller, which can stop their runs.
    void doctor(DoctorReport& report, bool repair);

    Registry& registry();
    const Config& config() const { return config_; }

    // Counts of the creation batches of this store that wrote tenants, and of those tenants,
    // for tests and benchmarks of group commit.
    struct BatchCounters {
        uint64_t batches = 0;
        uint64_t tenants = 0;
    };
    BatchCounters batchCounters();
    // How many account file updates of this store started from the files as the previous
    // one left them, and how many read them.
    AccountFilesCache::Counters accountReadCounters() const;
    // The getOrCreate() calls waiting for the next batch.
    size_t queuedCreations();

    // Defined in manager/tenant_creation.h, for the creation and doctor code.
    struct PendingCreation;
    struct Reservation;

private:

    void submit(PendingCreation& request);
    void createBatch(const std::vector<PendingCreation*>& batch);
    void createLocked(std::vector<PendingCreation*> batch);
    std::vector<Reservation> reserveAll(std::vector<PendingCreation*>& unresolved, AccountUpdate* accounts);
    std::optional<Reservation> reserveOne(const std::string& saasUserId, AccountUpdate* accounts,
                                          std::unique_ptr<class UidAllocator>& allocator);
    std::string chooseLinuxName(const std::string& saasUserId, AccountUpdate* accounts);
    void rollBack(const Reservation& reservation);
    void checkTenants(DoctorReport& report, bool repair);

    // A copy, so that the store stays valid after the caller's Config is gone.
    const Config config_;
    NameHasher hasher_;
    HostAccounts host_;
    std::unique_ptr<Registry> registry_;
    // The account files as this store last read or wrote them, so that a creation does not
    // reread and reindex every account.
    std::unique_ptr<AccountFilesCache> accountCache_;

    std::mutex queueMutex_;
    std::condition_variable queueDone_;
    std::vector<PendingCreation*> queue_;
    bool leaderBusy_ = false;
    BatchCounters counters_;
};

} // namespace pactown
