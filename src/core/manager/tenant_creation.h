#pragma once

#include <pactown/errors.h>
#include <pactown/isolated_user.h>

#include <exception>
#include <optional>
#include <string>
#include <vector>

#include "accounts/account_update.h"
#include "accounts/account_writer.h"
#include "manager/tenant_store.h"
#include "registry/registry.h"

namespace pactown {

// One getOrCreate() call waiting for the leader of its batch. The leader sets user or error
// (and created for the first request of a new tenant), then done under the queue mutex.
struct TenantStore::PendingCreation {
    std::string saasUserId;
    std::optional<IsolatedUser> user;
    std::exception_ptr error;
    bool created = false;
    bool done = false;
};

// A tenant being created by a batch: its row and the requests that wait for it.
struct TenantStore::Reservation {
    IsolatedUser user;
    std::vector<PendingCreation*> requests;
    bool alreadyActive = false;
};

IsolatedUser toUser(const TenantRecord& record);
TenantRecord toRecord(const IsolatedUser& user, TenantState state);
// The account entries of a system tenant: no GECOS, so the saas id never reaches passwd.
NewAccount accountOf(const IsolatedUser& user);
BusyError deletionInProgress(const TenantRecord& record);

} // namespace pactown
