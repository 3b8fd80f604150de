#include "manager-adaptor.h"

#include <pactown/errors.h>

#include <chrono>

#include "logging.h"
#include "run-options.h"

namespace pactown {

namespace {

using namespace std::chrono_literals;

// TransferProgress signals are sent at most this often, and once more at the end.
constexpr auto kProgressInterval = 250ms;

ActiveRunPolicy parseActiveRunPolicy(const std::string& value)
{
    if (value == "refuse")
        return ActiveRunPolicy::Refuse;
    if (value == "freeze")
        return ActiveRunPolicy::Freeze;
    throw InvalidArgumentError("active runs policy '" + value + "' is invalid; use 'refuse' or 'freeze'");
}

std::map<std::string, sdbus::Variant> encodeStats(const UserStats& stats)
{
    return {
        {"saas_user_id", sdbus::Variant(stats.user.saasUserId)},
        {"linux_username", sdbus::Variant(stats.user.linuxUsername)},
        {"sandbox_count", sdbus::Variant(uint32_t{stats.sandboxCount})},
        {"allocated_bytes", sdbus::Variant(uint64_t{stats.disk.allocatedBytes})},
        {"apparent_bytes", sdbus::Variant(uint64_t{stats.disk.apparentBytes})},
        {"files", sdbus::Variant(uint64_t{stats.disk.files})},
        {"directories", sdbus::Variant(uint64_t{stats.disk.directories})},
        {"unreadable", sdbus::Variant(stats.disk.unreadable)},
        {"active_runs", sdbus::Variant(uint32_t{stats.runs.activeRuns})},
        {"memory_bytes", sdbus::Variant(uint64_t{stats.runs.memoryBytes})},
        {"cpu_time_ns", sdbus::Variant(uint64_t{stats.runs.cpuTimeNanoseconds})},
        {"tasks", sdbus::Variant(uint64_t{stats.runs.tasks})},
    };
}

std::string senderOf(const sdbus::IObject& object)
{
    return object.getCurrentlyProcessedMessage()->getSender();
}

} // namespace

ManagerAdaptor::ManagerAdaptor(sdbus::IConnection& connection, UserIsolationManager& manager, WorkerPool& pool)
    : AdaptorInterfaces(connection, kManagerPath)
    , manager_(manager)
    , pool_(pool)
    , policy_(getObject())
    , users_(connection, policy_)
{
    observeManager();
    registerAdaptor();
}

ManagerAdaptor::~ManagerAdaptor()
{
    manager_.setObserver({});
    {
        std::lock_guard lock(waitersMutex_);
        for (auto& waiter : waiters_)
            waiter.thread.request_stop();
    }
    waiters_.clear();
    unregisterAdaptor();
}

void ManagerAdaptor::publishUsers()
{
    for (const auto& user : manager_.listUsers())
        users_.add(user);
}

void ManagerAdaptor::observeManager()
{
    ManagerObserver observer;
    observer.userCreated = [this](const IsolatedUser& user) {
        const auto path = users_.add(user);
        logEvent(spdlog::level::info, "user created", LogFields::ofUser(user.saasUserId));
        emitUserCreated(user.saasUserId, path);
    };
    observer.userRemoved = [this](const IsolatedUser& user) {
        const auto path = users_.remove(user);
        logEvent(spdlog::level::info, "user deleted", LogFields::ofUser(user.saasUserId));
        emitUserRemoved(user.saasUserId, path);
    };
    observer.runFinished = [this](const RunInfo& run, const RunResult& result) {
        logEvent(result.success() ? spdlog::level::info : spdlog::level::warn,
                 "run finished with result " + result.result,
                 LogFields::ofRun(run.saasUserId, run.unitName));
        emitRunFinished(run.unitName, run.saasUserId, result.result, result.exitCode, result.exitStatus);
    };
    manager_.setObserver(std::move(observer));
}

void ManagerAdaptor::GetOrCreateUser(sdbus::Result<ObjectPath>&& result, std::string saasUserId)
{
    dispatch("GetOrCreateUser", std::move(result), [this, saasUserId] {
        return std::tuple(users_.add(manager_.getOrCreateUser(saasUserId)));
    });
}

void ManagerAdaptor::GetUser(sdbus::Result<ObjectPath>&& result, std::string saasUserId)
{
    dispatch("GetUser", std::move(result), [this, saasUserId] {
        auto user = manager_.getUser(saasUserId);
        if (!user)
            throw NoSuchUserError("saas user id '" + saasUserId + "' has no tenant");
        return std::tuple(users_.add(*user));
    });
}

void ManagerAdaptor::ListUsers(sdbus::Result<std::vector<UserRecord>>&& result)
{
    dispatch("ListUsers", std::move(result), [this] {
        std::vector<UserRecord> records;
        for (const auto& user : manager_.listUsers()) {
            records.emplace_back(user.saasUserId, user.linuxUsername, user.linuxUid, user.linuxGid,
                                 user.homeDir.string(), user.createdAt, toString(user.mode), users_.add(user));
        }
        return std::tuple(std::move(records));
    });
}

void ManagerAdaptor::GetSandboxPath(sdbus::Result<std::string>&& result, std::string saasUserId,
                                    std::string serviceId)
{
    dispatch("GetSandboxPath", std::move(result), [this, saasUserId, serviceId] {
        return std::tuple(manager_.getSandboxPath(saasUserId, serviceId).string());
    });
}

void ManagerAdaptor::RunAsUser(sdbus::Result<std::string, std::string, uint32_t>&& result,
                               std::string saasUserId, Options options)
{
    // Decoding on the bus thread rejects bad options before any work is queued.
    std::shared_ptr<DecodedRunOptions> decoded;
    try {
        decoded = std::make_shared<DecodedRunOptions>(decodeRunOptions(options));
    } catch (...) {
        returnErrorQuietly(result, toDbusError(std::current_exception(), "RunAsUser"));
        return;
    }

    dispatch("RunAsUser", std::move(result), [this, saasUserId, decoded] {
        auto run = manager_.runAsUser(saasUserId, decoded->request);
        const RunInfo info = run->info();
        rememberRun(std::move(run));
        logEvent(spdlog::level::info, "run started", LogFields::ofRun(saasUserId, info.unitName));
        return std::tuple(info.unitName, info.invocationId, static_cast<uint32_t>(info.mainPid));
    });
}

void ManagerAdaptor::WaitRun(sdbus::Result<std::string, std::string, int32_t>&& result, std::string unitName)
{
    auto shared = std::make_shared<sdbus::Result<std::string, std::string, int32_t>>(std::move(result));
    try {
        policy_.requirePrivileged(*getObject().getCurrentlyProcessedMessage(), "WaitRun");
        startWaiter(shared, findRun(unitName));
    } catch (...) {
        returnErrorQuietly(*shared, toDbusError(std::current_exception(), "WaitRun"));
    }
}

void ManagerAdaptor::StopRun(sdbus::Result<>&& result, std::string unitName)
{
    dispatch("StopRun", std::move(result), [this, unitName] {
        manager_.stopRun(unitName);
        return std::tuple();
    });
}

void ManagerAdaptor::ListRuns(sdbus::Result<std::vector<RunRecord>>&& result, std::string saasUserId)
{
    dispatch("ListRuns", std::move(result), [this, saasUserId] {
        std::optional<std::string> tenant;
        if (!saasUserId.empty())
            tenant = saasUserId;
        std::vector<RunRecord> records;
        for (const auto& run : manager_.listRuns(tenant)) {
            records.emplace_back(run.unitName, run.invocationId, run.saasUserId, run.serviceId, run.activeState,
                                 static_cast<uint32_t>(run.mainPid));
        }
        return std::tuple(std::move(records));
    });
}

void ManagerAdaptor::GetUserStats(sdbus::Result<Options>&& result, std::string saasUserId)
{
    dispatch("GetUserStats", std::move(result), [this, saasUserId] {
        return std::tuple(encodeStats(manager_.getUserStats(saasUserId)));
    });
}

void ManagerAdaptor::ExportUserData(sdbus::Result<>&& result, std::string saasUserId, sdbus::UnixFd fd,
                                    std::string activeRuns)
{
    auto descriptor = std::make_shared<sdbus::UnixFd>(std::move(fd));
    auto progress = progressReporter(senderOf(getObject()), saasUserId, "export");
    dispatch("ExportUserData", std::move(result), [this, saasUserId, descriptor, activeRuns, progress] {
        manager_.exportUserData(saasUserId, descriptor->get(), parseActiveRunPolicy(activeRuns), progress);
        logEvent(spdlog::level::info, "user data exported", LogFields::ofUser(saasUserId));
        return std::tuple();
    });
}

void ManagerAdaptor::ImportUserData(sdbus::Result<ObjectPath>&& result, std::string saasUserId, sdbus::UnixFd fd)
{
    auto descriptor = std::make_shared<sdbus::UnixFd>(std::move(fd));
    auto progress = progressReporter(senderOf(getObject()), saasUserId, "import");
    dispatch("ImportUserData", std::move(result), [this, saasUserId, descriptor, progress] {
        manager_.importUserData(saasUserId, descriptor->get(), progress);
        logEvent(spdlog::level::info, "user data imported", LogFields::ofUser(saasUserId));
        auto user = manager_.getUser(saasUserId);
        if (!user)
            throw SystemError("tenant of saas user id '" + saasUserId + "' vanished after its import");
        return std::tuple(users_.add(*user));
    });
}

void ManagerAdaptor::DeleteUser(sdbus::Result<>&& result, std::string saasUserId, bool deleteHome)
{
    dispatch("DeleteUser", std::move(result), [this, saasUserId, deleteHome] {
        auto user = manager_.getUser(saasUserId);
        manager_.deleteUser(saasUserId, deleteHome);
        // The observer has removed the object already; this covers a record it did not report.
        if (user)
            users_.remove(*user);
        return std::tuple();
    });
}

std::vector<sdbus::Struct<std::string, std::string, std::string>> ManagerAdaptor::Doctor(const bool& repair)
{
    try {
        policy_.requirePrivileged(*getObject().getCurrentlyProcessedMessage(), "Doctor");
        std::vector<sdbus::Struct<std::string, std::string, std::string>> findings;
        for (const auto& finding : manager_.doctor(repair).findings)
            findings.emplace_back(finding.check, finding.subject,
                                  std::string(toString(finding.outcome)) + ": " + finding.detail);
        return findings;
    } catch (...) {
        throw toDbusError(std::current_exception(), "Doctor");
    }
}

ProgressCallback ManagerAdaptor::progressReporter(std::string destination, std::string saasUserId,
                                                  std::string direction)
{
    auto lastSent = std::make_shared<std::chrono::steady_clock::time_point>();
    return [this, destination, saasUserId, direction, lastSent](uint64_t done, uint64_t total) {
        const auto now = std::chrono::steady_clock::now();
        if (now - *lastSent < kProgressInterval && done != total)
            return;
        *lastSent = now;

        // Sent to the caller alone: the arguments concern its own transfer.
        auto signal = getObject().createSignal(INTERFACE_NAME, "TransferProgress");
        signal << saasUserId << direction << done << total;
        signal.setDestination(destination);
        getObject().emitSignal(signal);
    };
}

} // namespace pactown
