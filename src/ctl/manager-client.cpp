#include "manager-client.h"

#include <limits>

namespace pactown {

ManagerClient::ManagerClient(sdbus::IConnection& connection)
    : ProxyInterfaces(connection, kServiceName, kManagerObjectPath)
{
    registerProxy();
}

ManagerClient::~ManagerClient()
{
    unregisterProxy();
}

void ManagerClient::setProgressHandler(ProgressHandler handler)
{
    std::lock_guard lock(mutex_);
    progress_ = std::move(handler);
}

void ManagerClient::onTransferProgress(const std::string&, const std::string& direction, const uint64_t& done,
                                       const uint64_t& total)
{
    std::lock_guard lock(mutex_);
    if (progress_)
        progress_(direction, done, total);
}

UserClient::UserClient(sdbus::IConnection& connection, const sdbus::ObjectPath& path)
    : ProxyInterfaces(connection, kServiceName, path)
{
    registerProxy();
}

UserClient::~UserClient()
{
    unregisterProxy();
}

std::unique_ptr<sdbus::IConnection> openBus(bool sessionBus, bool longCalls)
{
    auto connection = sessionBus ? sdbus::createSessionBusConnection() : sdbus::createSystemBusConnection();
    // sd-bus adds the timeout to the current time with saturation, so the maximum never expires.
    if (longCalls)
        connection->setMethodCallTimeout(std::numeric_limits<uint64_t>::max());
    return connection;
}

} // namespace pactown
