// TenantStore::doctor(): the registry checked against the account files and the homes.
#include "manager/tenant_creation.h"

#include "home/home_directory.h"
#include "manager/tenant_locks.h"

#include <set>
#include <spdlog/fmt/fmt.h>
#include <sys/stat.h>
#include <unistd.h>

namespace pactown {

namespace {

using Outcome = DoctorFinding::Outcome;

constexpr std::string_view productNamePrefix = "pactown_";

void add(DoctorReport& report, std::string check, std::string subject, std::string detail, Outcome outcome)
{
    report.findings.push_back({std::move(check), std::move(subject), std::move(detail), outcome});
}

Outcome repairable(bool repair)
{
    return repair ? Outcome::Repaired : Outcome::Found;
}

// Checks that the home exists, is a directory owned by the tenant and has mode 0700. A home
// owned by root (left by a crash before the chown) or by the tenant is repaired. A home owned
// by anyone else is only reported, because giving it to the tenant could expose another's files.
void checkHome(DoctorReport& report, const IsolatedUser& user, const Config& config, bool repair)
{
    const std::string path = user.homeDir.string();
    struct stat status {};
    if (::lstat(user.homeDir.c_str(), &status) != 0) {
        if (repair)
            createHome(config.usersBase, user.linuxUsername, user.linuxUid, user.linuxGid);
        add(report, "home-missing", path, repair ? "created the home" : "the tenant's home does not exist",
            repairable(repair));
        return;
    }
    if (!S_ISDIR(status.st_mode)) {
        add(report, "home-not-directory", path, "the tenant's home is not a directory; move it away and repair",
            Outcome::NeedsOperator);
        return;
    }
    if (status.st_uid != user.linuxUid && status.st_uid != 0) {
        add(report, "home-owner", path,
            "owned by UID " + std::to_string(status.st_uid) + ", not by the tenant's UID " +
                std::to_string(user.linuxUid) + "; check whose files these are before changing the owner",
            Outcome::NeedsOperator);
        return;
    }
    if (status.st_uid == user.linuxUid && (status.st_mode & 07777) == 0700)
        return;
    if (repair)
        createHome(config.usersBase, user.linuxUsername, user.linuxUid, user.linuxGid);
    add(report, status.st_uid == 0 ? "home-owner" : "home-mode", path,
        fmt::format("owner {} and mode {:04o} instead of {} and 0700{}", status.st_uid, status.st_mode & 07777,
                    user.linuxUid, repair ? "; corrected" : ""),
        repairable(repair));
}

void checkAccount(DoctorReport& report, const IsolatedUser& user, AccountUpdate& accounts, bool repair)
{
    NewAccount account = accountOf(user);
    std::string reason;
    switch (accounts.presenceOf(account, &reason)) {
    case AccountPresence::Complete:
        return;
    case AccountPresence::Conflict:
        add(report, "account-conflict", user.linuxUsername, reason + "; the tenant cannot use this account",
            Outcome::NeedsOperator);
        return;
    case AccountPresence::Missing:
    case AccountPresence::Partial:
        break;
    }
    bool missing = accounts.presenceOf(account) == AccountPresence::Missing;
    if (repair)
        accounts.add(account);
    add(report, missing ? "account-missing" : "account-incomplete", user.linuxUsername,
        std::string(missing ? "the account entries are missing" : "some account entries are missing") +
            (repair ? "; written again with the tenant's UID " + std::to_string(user.linuxUid) : ""),
        repairable(repair));
}

} // namespace

void TenantStore::doctor(DoctorReport& report, bool repair)
{
    // Holding the creation lock, every 'creating' row is one that a killed process left.
    TenantLock creation(config_.stateDirectory, TenantLock::Kind::Creation);
    auto interrupted = registry_->listInState(TenantState::Creating);
    std::vector<PendingCreation> requests;
    for (const auto& record : interrupted)
        requests.push_back(PendingCreation{.saasUserId = record.saasUserId, .user = {}, .error = {}});
    if (repair && !requests.empty()) {
        std::vector<PendingCreation*> batch;
        for (auto& request : requests)
            batch.push_back(&request);
        try {
            createLocked(batch);
        } catch (...) {
            for (auto& request : requests)
                request.error = request.error ? request.error : std::current_exception();
        }
    }
    for (size_t i = 0; i < interrupted.size(); ++i) {
        std::string detail = "a creation was interrupted";
        Outcome outcome = Outcome::Found;
        if (repair && requests[i].user) {
            detail += "; completed it";
            outcome = Outcome::Repaired;
        } else if (repair) {
            try {
                std::rethrow_exception(requests[i].error);
            } catch (const std::exception& error) {
                detail += "; completing it failed: " + std::string(error.what());
            }
            outcome = Outcome::NeedsOperator;
        }
        add(report, "interrupted-creation", interrupted[i].linuxName, detail, outcome);
    }
    checkTenants(report, repair);
}

// Checks every active tenant's account and home, and the accounts and temp files in the
// account root that no tenant explains.
void TenantStore::checkTenants(DoctorReport& report, bool repair)
{
    std::set<std::string, std::less<>> knownNames;
    for (auto state : {TenantState::Creating, TenantState::Active, TenantState::Deleting}) {
        for (const auto& record : registry_->listInState(state))
            knownNames.insert(record.linuxName);
    }
    auto tenants = registry_->list();
    for (const auto& record : tenants)
        checkHome(report, toUser(record), config_, repair);
    if (config_.virtualAccounts)
        return;

    AccountLock lock(config_.accountRoot);
    for (const auto& path : listStaleTempFiles(config_.accountRoot))
        add(report, "stale-temp-file", path.string(),
            repair ? "removed a temp file of an interrupted write" : "a temp file of an interrupted write",
            repairable(repair));
    if (repair)
        removeStaleTempFiles(config_.accountRoot, lock);

    AccountUpdate accounts(config_.accountRoot, lock, accountCache_.get());
    for (const auto& record : tenants)
        checkAccount(report, toUser(record), accounts, repair);
    for (const auto& entry : accounts.users()) {
        if (entry.name.starts_with(productNamePrefix) && !knownNames.contains(entry.name))
            add(report, "account-without-tenant", entry.name,
                "UID " + std::to_string(entry.uid) + " has a product-style name but no tenant; left alone",
                Outcome::NeedsOperator);
    }
    if (accounts.changed())
        accounts.commit();
}

} // namespace pactown
