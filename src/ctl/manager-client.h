#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>

#include <sdbus-c++/sdbus-c++.h>

#include "isolation1-manager-proxy-glue.h"
#include "isolation1-user-proxy-glue.h"

namespace pactown {

// A client of com.pactown.Isolation1.Manager. Signals are dispatched on a thread of the
// connection while the calls block the caller.
class ManagerClient final : public sdbus::ProxyInterfaces<com::pactown::Isolation1::Manager_proxy> {
public:
    using ProgressHandler = std::function<void(const std::string& direction, uint64_t done, uint64_t total)>;

    ManagerClient(sdbus::IConnection& connection);
    ~ManagerClient();

    // Called for each TransferProgress signal; pactownd sends them only to the caller.
    void setProgressHandler(ProgressHandler handler);

private:
    void onUserCreated(const std::string&, const sdbus::ObjectPath&) override {}
    void onUserRemoved(const std::string&, const sdbus::ObjectPath&) override {}
    void onRunFinished(const std::string&, const std::string&, const std::string&, const std::string&,
                       const int32_t&) override {}
    void onTransferProgress(const std::string& saasUserId, const std::string& direction, const uint64_t& done,
                            const uint64_t& total) override;

    std::mutex mutex_;
    ProgressHandler progress_;
};

// A tenant object's properties, read over D-Bus.
class UserClient final : public sdbus::ProxyInterfaces<com::pactown::Isolation1::User_proxy> {
public:
    UserClient(sdbus::IConnection& connection, const sdbus::ObjectPath& path);
    ~UserClient();
};

inline constexpr const char* kServiceName = "com.pactown.Isolation1";
inline constexpr const char* kManagerObjectPath = "/com/pactown/Isolation1";

// Opens the system bus, or the session bus when `sessionBus`, with method calls that wait
// as long as `longCalls` requests: without limit for calls that last as long as a run or a
// transfer, the sd-bus default otherwise.
std::unique_ptr<sdbus::IConnection> openBus(bool sessionBus, bool longCalls);

} // namespace pactown
