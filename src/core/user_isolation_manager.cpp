#include <pactown/user_isolation_manager.h>

#include "accounts/crash_point.h"
#include "data/disk_usage.h"
#include "data/home_exporter.h"
#include "data/home_importer.h"
#include "data/tenant_cleanup.h"
#include "data/tree_removal.h"
#include "home/home_directory.h"
#include "identity/saas_id.h"
#include "manager/run_builder.h"
#include "manager/tenant_credentials.h"
#include "manager/tenant_creation.h"
#include "manager/tenant_locks.h"
#include "manager/tenant_store.h"
#include "units/systemd_units.h"
#include "units/unit_names.h"

#include <pactown/errors.h>

#include <algorithm>
#include <chrono>
#include <mutex>
#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>
#include <unistd.h>

namespace pactown {
namespace {

// How long delete waits for the tenant's processes to exit after its runs were stopped, before
// it kills those left. The runs are gone by then, so what remains lives outside any run (a
// login session, a process started with su) and will not exit by itself.
constexpr std::chrono::seconds processExitTimeout{2};

// Thaws the units it froze when it goes out of scope, also when the export failed.
class FrozenRuns {
public:
    FrozenRuns(SystemdUnits& units, const std::vector<RunInfo>& runs) : units_(units)
    {
        for (const auto& run : runs) {
            units_.freeze(run.unitName);
            frozen_.push_back(run.unitName);
        }
    }
    ~FrozenRuns()
    {
        for (const auto& unit : frozen_) {
            try {
                units_.thaw(unit);
            } catch (const std::exception& error) {
                spdlog::debug("cannot thaw '{}', ignoring: {}", unit, error.what());
            }
        }
    }
    FrozenRuns(const FrozenRuns&) = delete;
    FrozenRuns& operator=(const FrozenRuns&) = delete;

private:
    SystemdUnits& units_;
    std::vector<std::string> frozen_;
};

} // namespace

struct UserIsolationManager::State {
    State(Config configuration, NameHasher hasher)
        : config(std::move(configuration))
        , tenants(config, std::move(hasher))
    {
    }

    // systemd is contacted on first use, so that the library works for account and data
    // operations on hosts (and in tests) without a service manager.
    SystemdUnits& units()
    {
        std::lock_guard lock(unitsMutex);
        if (!systemdUnits) {
            systemdUnits = std::make_unique<SystemdUnits>(config.virtualAccounts ? SystemdUnits::Bus::User
                                                                                  : SystemdUnits::Bus::System);
            systemdUnits->setRunFinishedCallback([this](const RunInfo& info, const RunResult& result) {
                RunInfo named = info;
                if (auto user = tenantOfRun(info.unitName))
                    named.saasUserId = user->saasUserId;
                std::lock_guard observerLock(observerMutex);
                if (observer.runFinished)
                    observer.runFinished(named, result);
            });
        }
        return *systemdUnits;
    }

    IsolatedUser requireUser(const std::string& saasUserId)
    {
        auto user = tenants.find(saasUserId);
        if (!user)
            throw NoSuchUserError("no tenant has saas user id " + quoteForMessage(saasUserId));
        return *user;
    }

    std::optional<IsolatedUser> tenantOfRun(const std::string& unitName)
    {
        auto linuxName = linuxNameOfRunUnit(unitName);
        return linuxName ? tenants.findByLinuxName(*linuxName) : std::nullopt;
    }

    std::vector<RunInfo> runsOf(const IsolatedUser& user)
    {
        std::vector<RunInfo> runs;
        for (auto& run : units().listRuns()) {
            if (linuxNameOfRunUnit(run.unitName) != user.linuxUsername)
                continue;
            run.saasUserId = user.saasUserId;
            runs.push_back(std::move(run));
        }
        return runs;
    }

    // Runs the steps of a deletion after the row is found. A process killed at any step leaves
    // a 'deleting' row that a new call completes. The account goes before the home, so that no
    // account ever points to a removed home. The caller has the tenant's deletion lock.
    void finishDeletion(const IsolatedUser& user, bool deleteHome)
    {
        tenants.markDeleting(user.saasUserId);
        crashPoint("delete-marked");
        for (const auto& run : runsOf(user))
            units().stop(run.unitName);
        crashPoint("delete-runs-stopped");

        // In virtual mode the UID is the caller's own: its processes and files are not the tenant's.
        if (user.mode == AccountMode::System) {
            if (!waitUntilNoProcessesOf(user.linuxUid, processExitTimeout, true))
                throw SystemError("processes of UID " + std::to_string(user.linuxUid) + " are still running");
            removeTemporaryFilesOf(user.linuxUid);
            removeIpcObjectsOf(user.linuxUid);
        }
        crashPoint("delete-files-removed");
        tenants.removeAccount(user);
        crashPoint("delete-account-removed");
        if (deleteHome)
            removeTree(user.homeDir);
        crashPoint("delete-home-removed");
        tenants.forget(user);
        spdlog::debug("deleted tenant '{}'", user.linuxUsername);
        notify(&ManagerObserver::userRemoved, user);
    }

    // A 'deleting' row whose deletion lock is free was left by a process that died. Its home
    // is kept, because whether the caller asked to delete it is not recorded.
    void checkDeletion(DoctorReport& report, const IsolatedUser& user, bool repair)
    {
        auto lock = TenantLock::tryLock(config.stateDirectory, TenantLock::Kind::Deletion, user.saasUserId);
        if (!lock.held()) {
            report.findings.push_back({"deletion-in-progress", user.linuxUsername,
                                       "another process is deleting the tenant", DoctorFinding::Outcome::Found});
            return;
        }
        if (!repair) {
            report.findings.push_back({"interrupted-deletion", user.linuxUsername, "a deletion was interrupted",
                                       DoctorFinding::Outcome::Found});
            return;
        }
        try {
            finishDeletion(user, false);
            report.findings.push_back({"interrupted-deletion", user.linuxUsername,
                                       "a deletion was interrupted; completed it and kept the home '" +
                                           user.homeDir.string() + "'",
                                       DoctorFinding::Outcome::Repaired});
        } catch (const Error& error) {
            report.findings.push_back({"interrupted-deletion", user.linuxUsername,
                                       "a deletion was interrupted; completing it failed: " + std::string(error.what()),
                                       DoctorFinding::Outcome::NeedsOperator});
        }
    }

    // Runs whose tenant is gone outlived an interrupted deletion; with repair they are stopped.
    void checkRuns(DoctorReport& report, bool repair)
    {
        std::vector<RunInfo> runs;
        try {
            runs = units().listRuns();
        } catch (const SystemError& error) {
            report.findings.push_back({"runs", config.parentSlice, "cannot list the runs: " + std::string(error.what()),
                                       DoctorFinding::Outcome::NeedsOperator});
            return;
        }
        for (const auto& run : runs) {
            if (tenantOfRun(run.unitName))
                continue;
            if (repair)
                units().stop(run.unitName);
            report.findings.push_back({"run-without-tenant", run.unitName,
                                       repair ? "the run's tenant does not exist; stopped the run"
                                              : "the run's tenant does not exist",
                                       repair ? DoctorFinding::Outcome::Repaired : DoctorFinding::Outcome::Found});
        }
    }

    template <typename Callback, typename... Arguments>
    void notify(Callback ManagerObserver::*callback, const Arguments&... arguments)
    {
        std::lock_guard lock(observerMutex);
        if (observer.*callback)
            (observer.*callback)(arguments...);
    }

    Config config;
    TenantStore tenants;
    std::mutex unitsMutex;
    std::unique_ptr<SystemdUnits> systemdUnits;
    std::mutex observerMutex;
    ManagerObserver observer;
};

UserIsolationManager::UserIsolationManager(Config config) : UserIsolationManager(std::move(config), {}) {}

UserIsolationManager::UserIsolationManager(Config config, NameHasher nameHasher)
{
    validateConfig(config);
    state_ = std::make_unique<State>(std::move(config), std::move(nameHasher));
}

UserIsolationManager::~UserIsolationManager() = default;

const Config& UserIsolationManager::config() const
{
    return state_->config;
}

void UserIsolationManager::setObserver(ManagerObserver observer)
{
    std::lock_guard lock(state_->observerMutex);
    state_->observer = std::move(observer);
}

IsolatedUser UserIsolationManager::getOrCreateUser(const std::string& saasUserId)
{
    bool created = false;
    IsolatedUser user = state_->tenants.getOrCreate(saasUserId, &created);
    if (created) {
        spdlog::debug("created tenant '{}' with UID {}", user.linuxUsername, user.linuxUid);
        state_->notify(&ManagerObserver::userCreated, user);
    }
    return user;
}

std::optional<IsolatedUser> UserIsolationManager::getUser(const std::string& saasUserId)
{
    return state_->tenants.find(saasUserId);
}

std::vector<IsolatedUser> UserIsolationManager::listUsers()
{
    return state_->tenants.list();
}

std::filesystem::path UserIsolationManager::getSandboxPath(const std::string& saasUserId, const std::string& serviceId)
{
    validateSaasUserId(saasUserId);
    validateServiceId(serviceId);
    IsolatedUser user = getOrCreateUser(saasUserId);
    return createSandbox(user.homeDir, serviceId, user.linuxUid, user.linuxGid);
}

std::shared_ptr<Run> UserIsolationManager::runAsUser(const std::string& saasUserId, const RunRequest& request)
{
    validateSaasUserId(saasUserId);
    IsolatedUser user = state_->requireUser(saasUserId);
    TransientService service = buildTransientService(state_->config, user, request);
    auto run = state_->units().start(service);
    spdlog::debug("started run '{}' of tenant '{}'", run->info().unitName, user.linuxUsername);
    return run;
}

std::vector<RunInfo> UserIsolationManager::listRuns(const std::optional<std::string>& saasUserId)
{
    if (saasUserId)
        return state_->runsOf(state_->requireUser(*saasUserId));

    std::vector<RunInfo> runs;
    for (auto& run : state_->units().listRuns()) {
        auto user = state_->tenantOfRun(run.unitName);
        if (!user)
            continue;
        run.saasUserId = user->saasUserId;
        runs.push_back(std::move(run));
    }
    return runs;
}

void UserIsolationManager::stopRun(const std::string& unitName)
{
    if (!state_->tenantOfRun(unitName))
        throw NoSuchRunError("unit '" + unitName + "' is not a run of any tenant");
    state_->units().stop(unitName);
}

UserStats UserIsolationManager::getUserStats(const std::string& saasUserId)
{
    UserStats stats;
    stats.user = state_->requireUser(saasUserId);
    auto measure = [&stats] {
        stats.disk = measureDiskUsage(stats.user.homeDir);
        stats.sandboxCount = countSandboxes(stats.user.homeDir);
    };
    if (stats.user.mode == AccountMode::System && ::geteuid() == 0)
        runWithTenantCredentials(stats.user.linuxUid, stats.user.linuxGid, measure);
    else
        measure();
    try {
        stats.runs = state_->units().usageOfSlice(tenantSliceName(stats.user.linuxUsername));
    } catch (const SystemError& error) {
        // Disk figures are still worth returning on a host where systemd cannot be reached.
        spdlog::debug("cannot read the runs of '{}', reporting none: {}", stats.user.linuxUsername, error.what());
    }
    return stats;
}

void UserIsolationManager::exportUserData(const std::string& saasUserId, int fd, ActiveRunPolicy policy,
                                          const ProgressCallback& progress)
{
    IsolatedUser user = state_->requireUser(saasUserId);
    auto runs = state_->runsOf(user);
    if (!runs.empty() && policy == ActiveRunPolicy::Refuse)
        throw BusyError("tenant '" + user.linuxUsername + "' has " + std::to_string(runs.size()) +
                        " active runs: stop them or export with runs frozen");

    FrozenRuns frozen(state_->units(), policy == ActiveRunPolicy::Freeze ? runs : std::vector<RunInfo>{});
    nlohmann::json manifest = {
        {"format", "pactown-tenant-export"},
        {"version", 1},
        {"user", user.toJson()},
    };
    exportHome(user.homeDir, manifest, fd, progress);
}

void UserIsolationManager::importUserData(const std::string& saasUserId, int fd, const ProgressCallback& progress)
{
    bool created = false;
    IsolatedUser user = state_->tenants.getOrCreate(saasUserId, &created);
    if (created)
        state_->notify(&ManagerObserver::userCreated, user);
    auto runs = state_->runsOf(user);
    if (!runs.empty())
        throw BusyError("tenant '" + user.linuxUsername + "' has " + std::to_string(runs.size()) +
                        " active runs: stop them before importing over its home");
    try {
        importHome(fd, state_->config.usersBase, user.homeDir, user.linuxUid, user.linuxGid, progress);
    } catch (const Error&) {
        // A rejected archive leaves nothing behind, not even the tenant this call created for it.
        if (created)
            deleteCreatedTenant(user);
        throw;
    }
}

void UserIsolationManager::deleteCreatedTenant(const IsolatedUser& user)
{
    try {
        deleteUser(user.saasUserId, true);
    } catch (const Error& error) {
        spdlog::warn("cannot remove tenant '{}' after its import failed: {}", user.linuxUsername, error.what());
    }
}

void UserIsolationManager::deleteUser(const std::string& saasUserId, bool deleteHome)
{
    validateSaasUserId(saasUserId);
    TenantLock deletion(state_->config.stateDirectory, TenantLock::Kind::Deletion, saasUserId);
    auto record = state_->tenants.registry().findBySaasId(saasUserId);
    // A row still in 'creating' is not a tenant yet; getOrCreateUser() or doctor() completes it.
    if (!record || record->state == TenantState::Creating) {
        if (state_->tenants.wasDeleted(saasUserId))
            return;
        throw NoSuchUserError("no tenant has saas user id " + quoteForMessage(saasUserId));
    }
    state_->finishDeletion(toUser(*record), deleteHome);
}

DoctorReport UserIsolationManager::doctor(bool repair)
{
    DoctorReport report;
    for (const auto& record : state_->tenants.registry().listInState(TenantState::Deleting))
        state_->checkDeletion(report, toUser(record), repair);
    state_->tenants.doctor(report, repair);
    state_->checkRuns(report, repair);
    return report;
}

bool DoctorReport::clean() const
{
    return std::all_of(findings.begin(), findings.end(),
                       [](const DoctorFinding& finding) { return finding.outcome == DoctorFinding::Outcome::Repaired; });
}

const char* toString(DoctorFinding::Outcome outcome)
{
    switch (outcome) {
    case DoctorFinding::Outcome::Found:
        return "found";
    case DoctorFinding::Outcome::Repaired:
        return "repaired";
    case DoctorFinding::Outcome::NeedsOperator:
        return "needs operator";
    }
    return "unknown";
}

} // namespace pactown
