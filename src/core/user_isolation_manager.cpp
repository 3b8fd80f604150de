#include <pactown/user_isolation_manager.h>

#include "data/disk_usage.h"
#include "data/home_exporter.h"
#include "data/home_importer.h"
#include "data/tenant_cleanup.h"
#include "data/tree_removal.h"
#include "home/home_directory.h"
#include "identity/saas_id.h"
#include "manager/run_builder.h"
#include "manager/tenant_credentials.h"
#include "manager/tenant_store.h"
#include "units/systemd_units.h"
#include "units/unit_names.h"

#include <pactown/errors.h>

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
    explicit State(Config configuration) : config(std::move(configuration)), tenants(config) {}

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

UserIsolationManager::UserIsolationManager(Config config)
{
    validateConfig(config);
    state_ = std::make_unique<State>(std::move(config));
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
    IsolatedUser user = getOrCreateUser(saasUserId);
    auto runs = state_->runsOf(user);
    if (!runs.empty())
        throw BusyError("tenant '" + user.linuxUsername + "' has " + std::to_string(runs.size()) +
                        " active runs: stop them before importing over its home");
    importHome(fd, state_->config.usersBase, user.homeDir, user.linuxUid, user.linuxGid, progress);
}

void UserIsolationManager::deleteUser(const std::string& saasUserId, bool deleteHome)
{
    validateSaasUserId(saasUserId);
    auto found = state_->tenants.find(saasUserId);
    if (!found) {
        if (state_->tenants.wasDeleted(saasUserId))
            return;
        throw NoSuchUserError("no tenant has saas user id " + quoteForMessage(saasUserId));
    }
    IsolatedUser user = *found;
    state_->tenants.markDeleting(saasUserId);

    for (const auto& run : state_->runsOf(user))
        state_->units().stop(run.unitName);

    // In virtual mode the UID is the caller's own: its processes and files are not the tenant's.
    if (user.mode == AccountMode::System) {
        if (!waitUntilNoProcessesOf(user.linuxUid, processExitTimeout, true))
            throw SystemError("processes of UID " + std::to_string(user.linuxUid) + " are still running");
        removeTemporaryFilesOf(user.linuxUid);
        removeIpcObjectsOf(user.linuxUid);
    }
    if (deleteHome)
        removeTree(user.homeDir);
    state_->tenants.remove(user);
    spdlog::debug("deleted tenant '{}'", user.linuxUsername);
    state_->notify(&ManagerObserver::userRemoved, user);
}

} // namespace pactown
