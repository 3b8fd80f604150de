#pragma once

#include <chrono>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include <sdbus-c++/sdbus-c++.h>

#include "isolation1-manager-proxy-glue.h"

namespace pactown::testing {

// A signal as the test client received it: its name and its arguments as text.
struct ReceivedSignal {
    std::string name;
    std::vector<std::string> arguments;
};

// A client of the manager on the system bus that records every signal it receives.
class RecordingManager final : public sdbus::ProxyInterfaces<com::pactown::Isolation1::Manager_proxy> {
public:
    explicit RecordingManager(sdbus::IConnection& connection);
    ~RecordingManager();

    // Waits up to `timeout` for a signal that `matches` accepts, and returns whether one came.
    bool waitForSignal(const std::function<bool(const ReceivedSignal&)>& matches,
                       std::chrono::seconds timeout = std::chrono::seconds(30));
    std::vector<ReceivedSignal> signals();

private:
    void record(ReceivedSignal signal);
    void onUserCreated(const std::string& saasUserId, const sdbus::ObjectPath& user) override;
    void onUserRemoved(const std::string& saasUserId, const sdbus::ObjectPath& user) override;
    void onRunFinished(const std::string& unit, const std::string& saasUserId, const std::string& result,
                       const std::string& exitCode, const int32_t& exitStatus) override;
    void onTransferProgress(const std::string& saasUserId, const std::string& direction, const uint64_t& done,
                            const uint64_t& total) override;

    std::mutex mutex_;
    std::condition_variable received_;
    std::vector<ReceivedSignal> signals_;
};

// A system bus connection with its event loop running, so that signals arrive during calls.
std::unique_ptr<sdbus::IConnection> openSystemBus();

// Calls `call` and returns the name of the D-Bus error it throws, or "" when it succeeds.
std::string dbusErrorOf(const std::function<void()>& call);

} // namespace pactown::testing
