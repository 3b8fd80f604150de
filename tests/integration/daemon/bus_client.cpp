#include "bus_client.h"

#include <algorithm>

namespace pactown::testing {

RecordingManager::RecordingManager(sdbus::IConnection& connection)
    : ProxyInterfaces(connection, "com.pactown.Isolation1", "/com/pactown/Isolation1")
{
    registerProxy();
}

RecordingManager::~RecordingManager()
{
    unregisterProxy();
}

bool RecordingManager::waitForSignal(const std::function<bool(const ReceivedSignal&)>& matches,
                                     std::chrono::seconds timeout)
{
    std::unique_lock lock(mutex_);
    return received_.wait_for(lock, timeout, [&] {
        return std::any_of(signals_.begin(), signals_.end(), matches);
    });
}

std::vector<ReceivedSignal> RecordingManager::signals()
{
    std::lock_guard lock(mutex_);
    return signals_;
}

void RecordingManager::record(ReceivedSignal signal)
{
    {
        std::lock_guard lock(mutex_);
        signals_.push_back(std::move(signal));
    }
    received_.notify_all();
}

void RecordingManager::onUserCreated(const std::string& saasUserId, const sdbus::ObjectPath& user)
{
    record({"UserCreated", {saasUserId, user}});
}

void RecordingManager::onUserRemoved(const std::string& saasUserId, const sdbus::ObjectPath& user)
{
    record({"UserRemoved", {saasUserId, user}});
}

void RecordingManager::onRunFinished(const std::string& unit, const std::string& saasUserId, const std::string& result,
                                     const std::string& exitCode, const int32_t& exitStatus)
{
    record({"RunFinished", {unit, saasUserId, result, exitCode, std::to_string(exitStatus)}});
}

void RecordingManager::onTransferProgress(const std::string& saasUserId, const std::string& direction,
                                          const uint64_t& done, const uint64_t& total)
{
    record({"TransferProgress", {saasUserId, direction, std::to_string(done), std::to_string(total)}});
}

std::unique_ptr<sdbus::IConnection> openSystemBus()
{
    auto connection = sdbus::createSystemBusConnection();
    connection->enterEventLoopAsync();
    return connection;
}

std::string dbusErrorOf(const std::function<void()>& call)
{
    try {
        call();
    } catch (const sdbus::Error& e) {
        return e.getName();
    }
    return "";
}

} // namespace pactown::testing
