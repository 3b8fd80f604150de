#include "manager/tenant_store.h"

#include "accounts/account_writer.h"
#include "accounts/crash_point.h"
#include "accounts/uid_allocator.h"
#include "identity/saas_id.h"
#include "identity/sha256.h"
#include "manager/tenant_creation.h"

#include <pactown/errors.h>

#include <spdlog/spdlog.h>

namespace pactown {

TenantStore::TenantStore(const Config& config, NameHasher hasher, HostAccounts host)
    : config_(config)
    , hasher_(hasher ? std::move(hasher) : NameHasher(sha256Hex))
    , host_(std::move(host))
    , registry_(std::make_unique<Registry>(config.stateDirectory))
    , accountCache_(std::make_unique<AccountFilesCache>())
{
    if (!host_.isIdKnown)
        host_.isIdKnown = isIdKnownToNss;
    if (!host_.isNameKnown)
        host_.isNameKnown = isNameKnownToNss;
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
    if (record && record->state == TenantState::Deleting)
        throw deletionInProgress(*record);

    PendingCreation request{.saasUserId = saasUserId, .user = {}, .error = {}};
    submit(request);
    if (request.error)
        std::rethrow_exception(request.error);
    if (created)
        *created = request.created;
    return *request.user;
}

// Queues the request and waits until a leader has created it. The caller that finds no
// leader at work becomes the leader and creates everything queued until then, its own
// request included, in one batch.
void TenantStore::submit(PendingCreation& request)
{
    std::unique_lock lock(queueMutex_);
    queue_.push_back(&request);
    while (!request.done) {
        if (leaderBusy_) {
            queueDone_.wait(lock);
            continue;
        }
        leaderBusy_ = true;
        std::vector<PendingCreation*> batch = std::exchange(queue_, {});
        lock.unlock();
        createBatch(batch);
        lock.lock();
        for (auto* pending : batch)
            pending->done = true;
        leaderBusy_ = false;
        queueDone_.notify_all();
    }
}

TenantStore::BatchCounters TenantStore::batchCounters()
{
    std::lock_guard lock(queueMutex_);
    return counters_;
}

AccountFilesCache::Counters TenantStore::accountReadCounters() const
{
    return accountCache_->counters();
}

size_t TenantStore::queuedCreations()
{
    std::lock_guard lock(queueMutex_);
    return queue_.size();
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

void TenantStore::removeAccount(const IsolatedUser& user)
{
    if (user.mode != AccountMode::System)
        return;
    AccountLock lock(config_.accountRoot);
    AccountUpdate accounts(config_.accountRoot, lock, accountCache_.get());
    std::string reason;
    if (accounts.presenceOf(accountOf(user), &reason) == AccountPresence::Conflict) {
        // The name or UID belongs to an account that this product did not create.
        spdlog::debug("not removing account '{}' of a deleted tenant: {}", user.linuxUsername, reason);
        return;
    }
    accounts.remove(user.linuxUsername);
    accounts.commit();
}

void TenantStore::forget(const IsolatedUser& user)
{
    registry_->removeAndQuarantine(user.saasUserId);
}

bool TenantStore::wasDeleted(const std::string& saasUserId)
{
    return registry_->wasDeleted(saasUserId);
}

} // namespace pactown
