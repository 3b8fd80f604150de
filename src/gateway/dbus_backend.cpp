#include "dbus_backend.h"

#include "isolation1-manager-proxy-glue.h"

#include <map>
#include <sdbus-c++/sdbus-c++.h>

namespace pactown::gateway {

namespace {

constexpr const char* kUserInterface = "com.pactown.Isolation1.User";
constexpr const char* kBadReply = "com.pactown.Gateway.Error.BadReply";

using PropertyMap = std::map<std::string, sdbus::Variant>;

// The generated proxy of the Manager interface. registerProxy() is never called, so no
// signal match is added. The gateway uses no signal, and unread signals would pile up on a
// connection whose messages are never dispatched.
class ManagerProxy final : public sdbus::ProxyInterfaces<com::pactown::Isolation1::Manager_proxy> {
public:
    explicit ManagerProxy(sdbus::IConnection& connection)
        : ProxyInterfaces(connection, kBusName, kManagerPath)
    {
    }

private:
    void onUserCreated(const std::string&, const sdbus::ObjectPath&) override {}
    void onUserRemoved(const std::string&, const sdbus::ObjectPath&) override {}
    void onRunFinished(const std::string&, const std::string&, const std::string&, const std::string&,
                       const int32_t&) override
    {
    }
    void onTransferProgress(const std::string&, const std::string&, const uint64_t&, const uint64_t&) override {}
};

// Returns the value of `key` in `map`, `fallback` when absent. A value of another type than
// the interface declares is a fault of pactownd, reported as a bad reply, not as bad input.
template <typename T>
T valueOr(const PropertyMap& map, const std::string& key, T fallback)
{
    const auto found = map.find(key);
    if (found == map.end())
        return fallback;
    if (!found->second.containsValueOfType<T>())
        throw sdbus::Error(kBadReply, "pactownd sent '" + key + "' as type '" + found->second.peekValueType() +
                                          "', not '" + sdbus::signature_of<T>::str() + "'");
    return found->second.get<T>();
}

template <typename T>
T requiredValue(const PropertyMap& map, const std::string& key)
{
    if (map.find(key) == map.end())
        throw sdbus::Error(kBadReply, "pactownd sent no '" + key + "'");
    return valueOr<T>(map, key, T{});
}

AccountMode parseMode(const std::string& mode)
{
    if (mode == "system")
        return AccountMode::System;
    if (mode == "virtual")
        return AccountMode::Virtual;
    throw sdbus::Error(kBadReply, "pactownd sent the unknown account mode '" + mode + "'");
}

// Errors of pactownd leave the connection usable; any other error may mean it is broken.
bool keepsConnectionUsable(const sdbus::Error& error)
{
    return error.getName().starts_with("com.pactown.");
}

} // namespace

class DbusIsolationBackend::Session {
public:
    explicit Session(std::unique_ptr<sdbus::IConnection> connection)
        : connection(std::move(connection)), manager(*this->connection)
    {
    }

    // Reads the properties of a tenant's object in one GetAll call.
    PropertyMap userProperties(const sdbus::ObjectPath& path)
    {
        auto proxy = sdbus::createProxy(*connection, kBusName, path);
        PropertyMap properties;
        proxy->callMethod("GetAll")
            .onInterface("org.freedesktop.DBus.Properties")
            .withArguments(std::string(kUserInterface))
            .storeResultsTo(properties);
        return properties;
    }

    std::unique_ptr<sdbus::IConnection> connection;
    ManagerProxy manager;
};

DbusIsolationBackend::DbusIsolationBackend(Bus bus, std::chrono::microseconds callTimeout)
    : bus_(bus), callTimeout_(callTimeout)
{
}

DbusIsolationBackend::~DbusIsolationBackend() = default;

std::unique_ptr<DbusIsolationBackend::Session> DbusIsolationBackend::acquire()
{
    {
        std::lock_guard lock(mutex_);
        if (!idle_.empty()) {
            auto session = std::move(idle_.back());
            idle_.pop_back();
            return session;
        }
    }
    auto connection = bus_ == Bus::System ? sdbus::createSystemBusConnection() : sdbus::createSessionBusConnection();
    connection->setMethodCallTimeout(static_cast<uint64_t>(callTimeout_.count()));
    return std::make_unique<Session>(std::move(connection));
}

void DbusIsolationBackend::release(std::unique_ptr<Session> session)
{
    std::lock_guard lock(mutex_);
    idle_.push_back(std::move(session));
}

template <typename Call>
auto DbusIsolationBackend::withSession(Call&& call)
{
    std::unique_ptr<Session> session = acquire();
    try {
        auto result = call(*session);
        release(std::move(session));
        return result;
    } catch (const sdbus::Error& error) {
        if (keepsConnectionUsable(error))
            release(std::move(session));
        throw;
    }
}

std::vector<IsolatedUser> DbusIsolationBackend::listUsers()
{
    const auto entries = withSession([](Session& session) { return session.manager.ListUsers(); });

    std::vector<IsolatedUser> users;
    users.reserve(entries.size());
    for (const auto& entry : entries) {
        IsolatedUser user;
        user.saasUserId = entry.get<0>();
        user.linuxUsername = entry.get<1>();
        user.linuxUid = entry.get<2>();
        user.linuxGid = entry.get<3>();
        user.homeDir = entry.get<4>();
        user.createdAt = entry.get<5>();
        user.mode = parseMode(entry.get<6>());
        users.push_back(std::move(user));
    }
    return users;
}

IsolatedUser DbusIsolationBackend::getOrCreateUser(const std::string& saasUserId)
{
    const PropertyMap properties = withSession([&](Session& session) {
        return session.userProperties(session.manager.GetOrCreateUser(saasUserId));
    });

    IsolatedUser user;
    // pactownd hides SaasUserId from callers it does not trust with it; the id asked for is
    // the tenant's id all the same.
    user.saasUserId = valueOr<std::string>(properties, "SaasUserId", "");
    if (user.saasUserId.empty())
        user.saasUserId = saasUserId;
    user.linuxUsername = requiredValue<std::string>(properties, "LinuxUsername");
    user.linuxUid = requiredValue<uint32_t>(properties, "UID");
    user.linuxGid = requiredValue<uint32_t>(properties, "GID");
    user.homeDir = requiredValue<std::string>(properties, "HomeDirectory");
    user.createdAt = requiredValue<double>(properties, "CreatedAt");
    user.mode = parseMode(requiredValue<std::string>(properties, "Mode"));
    return user;
}

UserStats DbusIsolationBackend::getUserStats(const std::string& saasUserId)
{
    const PropertyMap figures =
        withSession([&](Session& session) { return session.manager.GetUserStats(saasUserId); });

    UserStats stats;
    stats.user.saasUserId = valueOr<std::string>(figures, "saas_user_id", saasUserId);
    stats.user.linuxUsername = requiredValue<std::string>(figures, "linux_username");
    stats.sandboxCount = valueOr<uint32_t>(figures, "sandbox_count", 0);
    stats.disk.allocatedBytes = valueOr<uint64_t>(figures, "allocated_bytes", 0);
    stats.disk.apparentBytes = valueOr<uint64_t>(figures, "apparent_bytes", 0);
    stats.disk.files = valueOr<uint64_t>(figures, "files", 0);
    stats.disk.directories = valueOr<uint64_t>(figures, "directories", 0);
    stats.disk.unreadable = valueOr<std::vector<std::string>>(figures, "unreadable", {});
    stats.runs.activeRuns = valueOr<uint32_t>(figures, "active_runs", 0);
    stats.runs.memoryBytes = valueOr<uint64_t>(figures, "memory_bytes", 0);
    stats.runs.cpuTimeNanoseconds = valueOr<uint64_t>(figures, "cpu_time_ns", 0);
    stats.runs.tasks = valueOr<uint64_t>(figures, "tasks", 0);
    return stats;
}

void DbusIsolationBackend::deleteUser(const std::string& saasUserId, bool deleteHome)
{
    withSession([&](Session& session) {
        session.manager.DeleteUser(saasUserId, deleteHome);
        return true;
    });
}

} // namespace pactown::gateway
