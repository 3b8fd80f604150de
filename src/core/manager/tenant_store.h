#pragma once

#include <pactown/config.h>
#include <pactown/isolated_user.h>

#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

namespace pactown {

class Registry;
class AccountWriter;

// The tenants' identities: registry rows, account file entries and homes, kept consistent.
// Creation is a sequence whose every step can be resumed, so that a process killed in the
// middle leaves work that the next call completes:
//   1. a registry row in state 'creating' reserves the name and UID (one transaction);
//   2. the account entries are written under the account files lock;
//   3. the home and sandboxes/ are created;
//   4. the row becomes 'active'.
class TenantStore {
public:
    using NameHasher = std::function<std::string(std::string_view)>;

    TenantStore(const Config& config, NameHasher hasher = {});
    ~TenantStore();

    // Throws InvalidArgumentError for a malformed id, UidRangeExhaustedError, SystemError.
    // Sets `created` when this call created the tenant.
    IsolatedUser getOrCreate(const std::string& saasUserId, bool* created = nullptr);
    std::optional<IsolatedUser> find(const std::string& saasUserId);
    std::optional<IsolatedUser> findByLinuxName(const std::string& linuxName);
    std::vector<IsolatedUser> list();

    // Removes the account entries and the registry row and puts the UID into quarantine.
    // The caller stops processes and removes files first.
    void remove(const IsolatedUser& user);
    // Marks the tenant as being deleted, so an interrupted delete is visible and resumable.
    void markDeleting(const std::string& saasUserId);
    // True when the saas user id belonged to a deleted tenant.
    bool wasDeleted(const std::string& saasUserId);

    Registry& registry();

private:
    IsolatedUser reserve(const std::string& saasUserId);
    IsolatedUser complete(const IsolatedUser& user);
    std::string chooseLinuxName(const std::string& saasUserId);
    void rollBack(const IsolatedUser& user);

    const Config& config_;
    NameHasher hasher_;
    std::unique_ptr<Registry> registry_;
    std::unique_ptr<AccountWriter> accounts_; // null for virtual accounts
    std::mutex createMutex_;
};

} // namespace pactown
