#include "dbus_backend.h"

#include "error_status.h"
#include "http_client.h"
#include "http_server.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <csignal>
#include <filesystem>
#include <map>
#include <mutex>
#include <sdbus-c++/sdbus-c++.h>
#include <sys/wait.h>
#include <unistd.h>

namespace pactown::gateway {
namespace {

constexpr const char* kManagerInterface = "com.pactown.Isolation1.Manager";
constexpr const char* kUserInterface = "com.pactown.Isolation1.User";
constexpr const char* kUserPath = "/com/pactown/Isolation1/user/pactown_5f0a1b2c";

using UserEntry = sdbus::Struct<std::string, std::string, uint32_t, uint32_t, std::string, double, std::string, sdbus::ObjectPath>;
using Figures = std::map<std::string, sdbus::Variant>;

// A dbus-daemon of the test's own, listening on a socket in a temporary directory, so that
// the test never touches the host's buses.
class PrivateBus {
public:
    PrivateBus()
    {
        std::string pattern = (std::filesystem::temp_directory_path() / "pactown-gateway-bus-XXXXXX").string();
        if (mkdtemp(pattern.data()) == nullptr)
            throw std::runtime_error("cannot create a temporary directory for the test bus");
        directory_ = pattern;
        address_ = "unix:path=" + (directory_ / "bus").string();

        int output[2];
        if (pipe(output) < 0)
            throw std::runtime_error("pipe failed");
        pid_ = fork();
        if (pid_ == 0) {
            dup2(output[1], STDOUT_FILENO);
            execlp("dbus-daemon", "dbus-daemon", "--session", "--nofork", "--nopidfile", "--print-address=1",
                   ("--address=" + address_).c_str(), static_cast<char*>(nullptr));
            _exit(127);
        }
        close(output[1]);
        // dbus-daemon prints its address once it accepts connections, so reading it waits
        // exactly as long as needed.
        char line[512] = {};
        FILE* stream = fdopen(output[0], "r");
        const bool ready = stream != nullptr && std::fgets(line, sizeof line, stream) != nullptr;
        if (stream != nullptr)
            std::fclose(stream);
        if (!ready)
            throw std::runtime_error("dbus-daemon did not start; is the dbus package installed?");
    }

    ~PrivateBus()
    {
        kill(pid_, SIGTERM);
        waitpid(pid_, nullptr, 0);
        std::filesystem::remove_all(directory_);
    }

    const std::string& address() const { return address_; }

private:
    std::filesystem::path directory_;
    std::string address_;
    pid_t pid_ = -1;
};

// Stands in for pactownd: the Manager methods that the gateway calls and one tenant object.
class FakeDaemon {
public:
    explicit FakeDaemon(const std::string& address)
        : connection_(sdbus::createSessionBusConnectionWithAddress(address))
    {
        connection_->requestName(kBusName);
        manager_ = sdbus::createObject(*connection_, kManagerPath);
        manager_->registerMethod("ListUsers").onInterface(kManagerInterface).implementedAs([] {
            return std::vector<UserEntry>{UserEntry{"auth0|1", "pactown_5f0a1b2c", 70001U, 70001U,
                                                    "/home/pactown_users/pactown_5f0a1b2c", 1705410000.25, "virtual",
                                                    sdbus::ObjectPath(kUserPath)}};
        });
        manager_->registerMethod("GetOrCreateUser").onInterface(kManagerInterface).implementedAs([](const std::string& id) {
            if (id.empty())
                throw sdbus::Error("com.pactown.Isolation1.Error.InvalidArgument", "saas user id '' is empty");
            return sdbus::ObjectPath(kUserPath);
        });
        manager_->registerMethod("GetUserStats").onInterface(kManagerInterface).implementedAs([](const std::string& id) {
            if (id != "auth0|1")
                throw sdbus::Error("com.pactown.Isolation1.Error.NoSuchUser", "saas user id '" + id + "' has no tenant");
            Figures figures;
            figures["saas_user_id"] = sdbus::Variant(std::string("auth0|1"));
            figures["linux_username"] = sdbus::Variant(std::string("pactown_5f0a1b2c"));
            figures["sandbox_count"] = sdbus::Variant(uint32_t{3});
            figures["allocated_bytes"] = sdbus::Variant(uint64_t{3 * 1024 * 1024});
            figures["unreadable"] = sdbus::Variant(std::vector<std::string>{"sandboxes/locked"});
            return figures;
        });
        manager_->registerMethod("DeleteUser").onInterface(kManagerInterface).implementedAs(
            [this](const std::string& id, bool deleteHome) {
                std::lock_guard lock(mutex_);
                deleted_.emplace_back(id, deleteHome);
            });
        manager_->finishRegistration();

        user_ = sdbus::createObject(*connection_, kUserPath);
        // pactownd hides the saas user id from callers other than root in GetAll.
        user_->registerProperty("SaasUserId").onInterface(kUserInterface).withGetter([] { return std::string(); });
        user_->registerProperty("LinuxUsername").onInterface(kUserInterface).withGetter([] { return std::string("pactown_5f0a1b2c"); });
        user_->registerProperty("UID").onInterface(kUserInterface).withGetter([] { return uint32_t{70001}; });
        user_->registerProperty("GID").onInterface(kUserInterface).withGetter([] { return uint32_t{70001}; });
        user_->registerProperty("HomeDirectory").onInterface(kUserInterface).withGetter([] {
            return std::string("/home/pactown_users/pactown_5f0a1b2c");
        });
        user_->registerProperty("CreatedAt").onInterface(kUserInterface).withGetter([] { return 1705410000.25; });
        user_->registerProperty("Mode").onInterface(kUserInterface).withGetter([] { return std::string("system"); });
        user_->finishRegistration();
        connection_->enterEventLoopAsync();
    }

    ~FakeDaemon() { connection_->leaveEventLoop(); }

    std::vector<std::pair<std::string, bool>> deleted()
    {
        std::lock_guard lock(mutex_);
        return deleted_;
    }

private:
    std::unique_ptr<sdbus::IConnection> connection_;
    std::unique_ptr<sdbus::IObject> manager_;
    std::unique_ptr<sdbus::IObject> user_;
    std::mutex mutex_;
    std::vector<std::pair<std::string, bool>> deleted_;
};

class DbusBackend : public testing::Test {
protected:
    void SetUp() override
    {
        bus_ = std::make_unique<PrivateBus>();
        setenv("DBUS_SESSION_BUS_ADDRESS", bus_->address().c_str(), 1);
        daemon_ = std::make_unique<FakeDaemon>(bus_->address());
    }

    void TearDown() override
    {
        daemon_.reset();
        bus_.reset();
        unsetenv("DBUS_SESSION_BUS_ADDRESS");
    }

    static int statusOfFailure(const std::function<void()>& call)
    {
        try {
            call();
        } catch (const sdbus::Error& error) {
            return httpStatusForDbusError(error.getName());
        }
        return 0;
    }

    std::unique_ptr<PrivateBus> bus_;
    std::unique_ptr<FakeDaemon> daemon_;
    DbusIsolationBackend backend_{DbusIsolationBackend::Bus::Session, std::chrono::seconds(10)};
};

TEST_F(DbusBackend, ListsUsers)
{
    const std::vector<IsolatedUser> users = backend_.listUsers();

    ASSERT_EQ(users.size(), 1U);
    EXPECT_EQ(users[0].saasUserId, "auth0|1");
    EXPECT_EQ(users[0].linuxUsername, "pactown_5f0a1b2c");
    EXPECT_EQ(users[0].linuxUid, 70001U);
    EXPECT_EQ(users[0].homeDir, "/home/pactown_users/pactown_5f0a1b2c");
    EXPECT_EQ(users[0].createdAt, 1705410000.25);
    EXPECT_EQ(users[0].mode, AccountMode::Virtual);
}

TEST_F(DbusBackend, ReadsUserFromObjectProperties)
{
    const IsolatedUser user = backend_.getOrCreateUser("auth0|1");

    EXPECT_EQ(user.saasUserId, "auth0|1");
    EXPECT_EQ(user.linuxUsername, "pactown_5f0a1b2c");
    EXPECT_EQ(user.linuxGid, 70001U);
    EXPECT_EQ(user.createdAt, 1705410000.25);
    EXPECT_EQ(user.mode, AccountMode::System);
}

TEST_F(DbusBackend, ConvertsStats)
{
    const UserStats stats = backend_.getUserStats("auth0|1");

    EXPECT_EQ(stats.user.linuxUsername, "pactown_5f0a1b2c");
    EXPECT_EQ(stats.sandboxCount, 3U);
    EXPECT_EQ(stats.disk.allocatedBytes, 3U * 1024 * 1024);
    EXPECT_EQ(stats.disk.unreadable, std::vector<std::string>{"sandboxes/locked"});
    EXPECT_EQ(stats.runs.activeRuns, 0U);
}

TEST_F(DbusBackend, PassesDeleteHome)
{
    backend_.deleteUser("auth0|1", false);
    backend_.deleteUser("user@example.com", true);

    const std::vector<std::pair<std::string, bool>> expected = {{"auth0|1", false}, {"user@example.com", true}};
    EXPECT_EQ(daemon_->deleted(), expected);
}

TEST_F(DbusBackend, KeepsDaemonErrorNames)
{
    try {
        backend_.getUserStats("nobody");
        FAIL() << "getUserStats of an unknown tenant succeeded";
    } catch (const sdbus::Error& error) {
        EXPECT_EQ(error.getName(), "com.pactown.Isolation1.Error.NoSuchUser");
        EXPECT_EQ(error.getMessage(), "saas user id 'nobody' has no tenant");
    }
    EXPECT_EQ(statusOfFailure([&] { backend_.getOrCreateUser(""); }), 400);
}

TEST_F(DbusBackend, ReportsAbsentDaemonAs503)
{
    daemon_.reset();

    EXPECT_EQ(statusOfFailure([&] { backend_.listUsers(); }), 503);
}

TEST_F(DbusBackend, ReportsAbsentBusAs503)
{
    DbusIsolationBackend backend(DbusIsolationBackend::Bus::Session, std::chrono::seconds(10));
    daemon_.reset();
    bus_.reset();

    EXPECT_EQ(statusOfFailure([&] { backend.listUsers(); }), 503);
}

TEST_F(DbusBackend, ServesHttpRequestEndToEnd)
{
    const char* token = "end-to-end-token-0123456789";
    Router router(backend_, BearerToken(token));
    HttpServer server(parseListenAddress("127.0.0.1:0"), router, ServerLimits{});
    std::thread serving([&] { server.run(); });

    const test::ClientResponse response = test::sendRequest(
        server.port(), std::string("GET /runner/isolation/user/auth0%7C1 HTTP/1.1\r\nHost: h\r\nAuthorization: Bearer ") +
                           token + "\r\n\r\n");
    server.stop();
    serving.join();

    ASSERT_EQ(response.status, 200) << response.body.dump();
    EXPECT_EQ(response.body["saas_user_id"], "auth0|1");
    EXPECT_EQ(response.body["linux_username"], "pactown_5f0a1b2c");
    EXPECT_EQ(response.body["linux_uid"], 70001);
}

} // namespace
} // namespace pactown::gateway
