#pragma once

#include <atomic>
#include <list>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <tuple>

#include <sdbus-c++/sdbus-c++.h>
#include <spdlog/spdlog.h>

#include <pactown/user_isolation_manager.h>

#include "caller.h"
#include "errors.h"
#include "isolation1-manager-adaptor-glue.h"
#include "user-object.h"
#include "worker-pool.h"

namespace pactown {

inline constexpr const char* kManagerPath = "/com/pactown/Isolation1";

// The com.pactown.Isolation1.Manager object: decodes each call, checks the caller, runs the
// library call on the worker pool, encodes the reply and emits the signals.
class ManagerAdaptor final : public sdbus::AdaptorInterfaces<com::pactown::Isolation1::Manager_adaptor> {
public:
    ManagerAdaptor(sdbus::IConnection& connection, UserIsolationManager& manager, WorkerPool& pool);
    // Ends pending WaitRun calls with Error.Failed and unregisters every object.
    ~ManagerAdaptor();

    // Registers an object for every tenant the registry holds. Call once, before serving.
    void publishUsers();

private:
    using ObjectPath = sdbus::ObjectPath;
    using UserRecord = sdbus::Struct<std::string, std::string, uint32_t, uint32_t, std::string, double, std::string, ObjectPath>;
    using RunRecord = sdbus::Struct<std::string, std::string, std::string, std::string, std::string, uint32_t>;
    using Options = std::map<std::string, sdbus::Variant>;

    void GetOrCreateUser(sdbus::Result<ObjectPath>&& result, std::string saasUserId) override;
    void GetUser(sdbus::Result<ObjectPath>&& result, std::string saasUserId) override;
    void ListUsers(sdbus::Result<std::vector<UserRecord>>&& result) override;
    void GetSandboxPath(sdbus::Result<std::string>&& result, std::string saasUserId, std::string serviceId) override;
    void RunAsUser(sdbus::Result<std::string, std::string, uint32_t>&& result, std::string saasUserId,
                   Options options) override;
    void WaitRun(sdbus::Result<std::string, std::string, int32_t>&& result, std::string unitName) override;
    void StopRun(sdbus::Result<>&& result, std::string unitName) override;
    void ListRuns(sdbus::Result<std::vector<RunRecord>>&& result, std::string saasUserId) override;
    void GetUserStats(sdbus::Result<Options>&& result, std::string saasUserId) override;
    void ExportUserData(sdbus::Result<>&& result, std::string saasUserId, sdbus::UnixFd fd,
                        std::string activeRuns) override;
    void ImportUserData(sdbus::Result<ObjectPath>&& result, std::string saasUserId, sdbus::UnixFd fd) override;
    void DeleteUser(sdbus::Result<>&& result, std::string saasUserId, bool deleteHome) override;
    std::vector<sdbus::Struct<std::string, std::string, std::string>> Doctor(const bool& repair) override;

    // Checks the caller on the bus thread, then runs `job` on the pool and replies with the
    // tuple it returns, or with the D-Bus error of what it throws.
    template <typename... Results, typename Job>
    void dispatch(const char* method, sdbus::Result<Results...>&& result, Job job);

    void observeManager();
    void rememberRun(std::shared_ptr<Run> run);
    std::shared_ptr<Run> findRun(const std::string& unitName);
    ProgressCallback progressReporter(std::string destination, std::string saasUserId, std::string direction);
    void startWaiter(std::shared_ptr<sdbus::Result<std::string, std::string, int32_t>> result,
                     std::shared_ptr<Run> run);

    UserIsolationManager& manager_;
    WorkerPool& pool_;
    CallerPolicy policy_;
    UserObjects users_;

    // Runs started by this process, for WaitRun.
    std::mutex runsMutex_;
    std::map<std::string, std::shared_ptr<Run>> runs_;

    // One thread per pending WaitRun, because a wait may last as long as the run.
    struct Waiter {
        std::jthread thread;
        std::shared_ptr<std::atomic<bool>> done;
    };
    std::mutex waitersMutex_;
    std::list<Waiter> waiters_;
};

// Sends `error` as the reply, logging instead of throwing when the bus cannot take it.
template <typename... Results>
void returnErrorQuietly(const sdbus::Result<Results...>& result, const sdbus::Error& error)
{
    try {
        result.returnError(error);
    } catch (const std::exception& e) {
        spdlog::warn("cannot send error reply '{}': {}", error.getName(), e.what());
    }
}

template <typename... Results, typename Job>
void ManagerAdaptor::dispatch(const char* method, sdbus::Result<Results...>&& result, Job job)
{
    try {
        policy_.requirePrivileged(*getObject().getCurrentlyProcessedMessage(), method);
    } catch (...) {
        returnErrorQuietly(result, toDbusError(std::current_exception(), method));
        return;
    }

    auto shared = std::make_shared<sdbus::Result<Results...>>(std::move(result));
    pool_.submit([shared, method, job = std::move(job)]() mutable {
        try {
            std::apply([&](const auto&... values) { shared->returnResults(values...); }, job());
        } catch (...) {
            returnErrorQuietly(*shared, toDbusError(std::current_exception(), method));
        }
    });
}

} // namespace pactown
