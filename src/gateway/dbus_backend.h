#pragma once

#include "isolation_backend.h"

#include <chrono>
#include <memory>
#include <mutex>
#include <vector>

namespace pactown::gateway {

inline constexpr const char* kBusName = "com.pactown.Isolation1";
inline constexpr const char* kManagerPath = "/com/pactown/Isolation1";

// IsolationBackend over pactownd's D-Bus interface com.pactown.Isolation1.Manager.
// Each call borrows a bus connection from a pool, so concurrent requests do not share one
// sd-bus connection (which is not thread-safe) and do not pay a new connection each.
// A connection that failed for any reason other than an error reply of pactownd is dropped,
// so a restarted bus is reconnected to at the next request.
class DbusIsolationBackend : public IsolationBackend {
public:
    enum class Bus { System, Session };

    // Connects lazily: constructing never fails, even when the bus is down.
    // `callTimeout` bounds each method call; DeleteUser may wait for a tenant's processes.
    DbusIsolationBackend(Bus bus, std::chrono::microseconds callTimeout);
    ~DbusIsolationBackend() override;

    std::vector<IsolatedUser> listUsers() override;
    IsolatedUser getOrCreateUser(const std::string& saasUserId) override;
    UserStats getUserStats(const std::string& saasUserId) override;
    void deleteUser(const std::string& saasUserId, bool deleteHome) override;

private:
    class Session;

    std::unique_ptr<Session> acquire();
    void release(std::unique_ptr<Session> session);
    template <typename Call> auto withSession(Call&& call);

    Bus bus_;
    std::chrono::microseconds callTimeout_;
    std::mutex mutex_;
    std::vector<std::unique_ptr<Session>> idle_;
};

} // namespace pactown::gateway
