#include "http_server.h"

#include "http_client.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <condition_variable>
#include <future>
#include <sdbus-c++/Error.h>
#include <thread>
#include <unistd.h>

namespace pactown::gateway {
namespace {

using test::ClientResponse;
using test::sendRequest;
using testing::_;
using testing::Return;
using testing::Throw;

constexpr const char* kToken = "gateway-test-token-0123456789";

class MockBackend : public IsolationBackend {
public:
    MOCK_METHOD(std::vector<IsolatedUser>, listUsers, (), (override));
    MOCK_METHOD(IsolatedUser, getOrCreateUser, (const std::string&), (override));
    MOCK_METHOD(UserStats, getUserStats, (const std::string&), (override));
    MOCK_METHOD(void, deleteUser, (const std::string&, bool), (override));
};

IsolatedUser makeUser(const std::string& saasUserId)
{
    IsolatedUser user;
    user.saasUserId = saasUserId;
    user.linuxUsername = "pactown_a1b2c3d4";
    user.linuxUid = 70001;
    user.linuxGid = 70001;
    user.homeDir = "/home/pactown_users/pactown_a1b2c3d4";
    user.createdAt = 1705410000.5;
    return user;
}

std::string requestText(const std::string& method, const std::string& target, bool withToken = true)
{
    std::string text = method + " " + target + " HTTP/1.1\r\nHost: localhost\r\n";
    if (withToken)
        text += std::string("Authorization: Bearer ") + kToken + "\r\n";
    return text + "\r\n";
}

class GatewayServer : public testing::Test {
protected:
    void startServer(ServerLimits limits = ServerLimits{}, const std::string& listen = "127.0.0.1:0")
    {
        router_ = std::make_unique<Router>(backend_, BearerToken(kToken));
        server_ = std::make_unique<HttpServer>(parseListenAddress(listen), *router_, limits);
        port_ = server_->port();
        thread_ = std::thread([this] { server_->run(); });
    }

    void SetUp() override { startServer(); }

    void TearDown() override { stopServer(); }

    void stopServer()
    {
        if (!server_)
            return;
        server_->stop();
        thread_.join();
        server_.reset();
    }

    ClientResponse call(const std::string& method, const std::string& target, bool withToken = true)
    {
        return sendRequest(port_, requestText(method, target, withToken));
    }

    static void expectError(const ClientResponse& response, int status, const std::string& name)
    {
        EXPECT_EQ(response.status, status) << response.body.dump();
        EXPECT_EQ(response.body.value("error", ""), name) << response.body.dump();
        EXPECT_TRUE(response.body.contains("message")) << response.body.dump();
    }

    testing::StrictMock<MockBackend> backend_;
    std::unique_ptr<Router> router_;
    std::unique_ptr<HttpServer> server_;
    std::thread thread_;
    uint16_t port_ = 0;
};

TEST_F(GatewayServer, ListsUsersWithCount)
{
    EXPECT_CALL(backend_, listUsers()).WillOnce(Return(std::vector{makeUser("user123"), makeUser("auth0|9")}));

    const ClientResponse response = call("GET", "/runner/isolation/users");

    ASSERT_EQ(response.status, 200);
    EXPECT_EQ(response.body["count"], 2);
    ASSERT_EQ(response.body["users"].size(), 2U);
    EXPECT_EQ(response.body["users"][0], makeUser("user123").toJson());
    EXPECT_EQ(response.body["users"][1]["saas_user_id"], "auth0|9");
    EXPECT_NE(response.head.find("Content-Type: application/json\r\n"), std::string::npos);
    EXPECT_NE(response.head.find("Connection: close\r\n"), std::string::npos);
}

TEST_F(GatewayServer, GetsUserWithReferenceFields)
{
    EXPECT_CALL(backend_, getOrCreateUser("user123")).WillOnce(Return(makeUser("user123")));

    const ClientResponse response = call("GET", "/runner/isolation/user/user123");

    ASSERT_EQ(response.status, 200);
    for (const char* key : {"saas_user_id", "linux_username", "linux_uid", "linux_gid", "home_dir", "created_at"})
        EXPECT_TRUE(response.body.contains(key)) << key;
    EXPECT_EQ(response.body["linux_uid"], 70001);
    EXPECT_EQ(response.body["created_at"], 1705410000.5);
}

TEST_F(GatewayServer, DecodesPercentEncodedIds)
{
    const std::vector<std::pair<std::string, std::string>> cases = {
        {"auth0%7C123456", "auth0|123456"},
        {"auth0|123456", "auth0|123456"},
        {"user%40example.com", "user@example.com"},
        {"user@example.com", "user@example.com"},
        {"user:1", "user:1"},
        {"a%2Fb", "a/b"},
        {"%2E%2E", ".."},
        {"caf%C3%A9", "caf\xC3\xA9"},
    };
    for (const auto& [encoded, decoded] : cases) {
        EXPECT_CALL(backend_, getOrCreateUser(decoded)).WillOnce(Return(makeUser(decoded)));
        const ClientResponse response = call("GET", "/runner/isolation/user/" + encoded);
        EXPECT_EQ(response.status, 200) << encoded;
        EXPECT_EQ(response.body.value("saas_user_id", ""), decoded) << encoded;
    }
}

TEST_F(GatewayServer, RejectsIdsThatDbusCannotCarry)
{
    expectError(call("GET", "/runner/isolation/user/a%00b"), 400, "com.pactown.Isolation1.Error.InvalidArgument");
    expectError(call("GET", "/runner/isolation/user/%FF"), 400, "com.pactown.Isolation1.Error.InvalidArgument");
    expectError(call("GET", "/runner/isolation/user/%C0%AF/stats"), 400, "com.pactown.Isolation1.Error.InvalidArgument");
    expectError(call("GET", "/runner/isolation/user/a%2"), 400, "com.pactown.Gateway.Error.BadRequest");
}

TEST_F(GatewayServer, ReportsStatsInReferenceShape)
{
    UserStats stats;
    stats.user = makeUser("user123");
    stats.sandboxCount = 5;
    stats.disk.allocatedBytes = 234 * 1024 * 1024 + 512 * 1024;
    EXPECT_CALL(backend_, getUserStats("user123")).WillOnce(Return(stats));

    const ClientResponse response = call("GET", "/runner/isolation/user/user123/stats");

    ASSERT_EQ(response.status, 200);
    EXPECT_EQ(response.body["user"]["saas_user_id"], "user123");
    EXPECT_EQ(response.body["user"]["linux_username"], "pactown_a1b2c3d4");
    EXPECT_EQ(response.body["sandbox_count"], 5);
    EXPECT_EQ(response.body["total_size_mb"], 234.5);
}

TEST_F(GatewayServer, DeletesUserWithDeleteHomeChoice)
{
    EXPECT_CALL(backend_, deleteUser("auth0|1", false));
    EXPECT_CALL(backend_, deleteUser("auth0|2", true));
    EXPECT_CALL(backend_, deleteUser("auth0|3", true));

    const ClientResponse kept = call("DELETE", "/runner/isolation/user/auth0%7C1?delete_home=false");
    const ClientResponse removed = call("DELETE", "/runner/isolation/user/auth0%7C2?delete_home=true");
    const ClientResponse byDefault = call("DELETE", "/runner/isolation/user/auth0%7C3");

    ASSERT_EQ(kept.status, 200);
    EXPECT_EQ(kept.body, nlohmann::json({{"success", true}, {"user_id", "auth0|1"}}));
    EXPECT_EQ(removed.status, 200);
    EXPECT_EQ(byDefault.status, 200);
}

TEST_F(GatewayServer, RejectsInvalidDeleteHome)
{
    expectError(call("DELETE", "/runner/isolation/user/u?delete_home=maybe"), 400, "com.pactown.Gateway.Error.BadRequest");
    expectError(call("DELETE", "/runner/isolation/user/u?delete_home=true&delete_home=false"), 400,
                "com.pactown.Gateway.Error.BadRequest");
}

TEST_F(GatewayServer, RequiresBearerToken)
{
    const ClientResponse missing = call("GET", "/runner/isolation/users", false);
    const ClientResponse wrong =
        sendRequest(port_, "GET /runner/isolation/users HTTP/1.1\r\nHost: h\r\nAuthorization: Bearer wrong-token-0123456789\r\n\r\n");
    const ClientResponse unknownRoute = call("GET", "/elsewhere", false);

    expectError(missing, 401, "com.pactown.Gateway.Error.Unauthorized");
    EXPECT_NE(missing.head.find("WWW-Authenticate: Bearer\r\n"), std::string::npos);
    expectError(wrong, 401, "com.pactown.Gateway.Error.Unauthorized");
    expectError(unknownRoute, 401, "com.pactown.Gateway.Error.Unauthorized");
}

TEST_F(GatewayServer, AnswersUnknownRoutesAndMethods)
{
    expectError(call("GET", "/runner/isolation/user/"), 404, "com.pactown.Gateway.Error.NotFound");
    expectError(call("GET", "/runner/isolation/user/a/b"), 404, "com.pactown.Gateway.Error.NotFound");
    expectError(call("GET", "/runner/isolation/users/"), 404, "com.pactown.Gateway.Error.NotFound");
    expectError(call("GET", "/"), 404, "com.pactown.Gateway.Error.NotFound");

    const ClientResponse postUsers = call("POST", "/runner/isolation/users");
    expectError(postUsers, 405, "com.pactown.Gateway.Error.MethodNotAllowed");
    EXPECT_NE(postUsers.head.find("Allow: GET\r\n"), std::string::npos);
    const ClientResponse putUser = call("PUT", "/runner/isolation/user/u");
    expectError(putUser, 405, "com.pactown.Gateway.Error.MethodNotAllowed");
    EXPECT_NE(putUser.head.find("Allow: GET, DELETE\r\n"), std::string::npos);
    expectError(call("DELETE", "/runner/isolation/user/u/stats"), 405, "com.pactown.Gateway.Error.MethodNotAllowed");
}

TEST_F(GatewayServer, MapsDaemonErrorsToStatuses)
{
    const std::vector<std::pair<std::string, int>> cases = {
        {"com.pactown.Isolation1.Error.InvalidArgument", 400},
        {"com.pactown.Isolation1.Error.NoSuchUser", 404},
        {"com.pactown.Isolation1.Error.Busy", 409},
        {"com.pactown.Isolation1.Error.AccessDenied", 403},
        {"com.pactown.Isolation1.Error.Failed", 500},
        {"org.freedesktop.DBus.Error.ServiceUnknown", 503},
    };
    for (const auto& [name, status] : cases) {
        EXPECT_CALL(backend_, getUserStats("u")).WillOnce(Throw(sdbus::Error(name, "saas user id 'u' failed")));
        const ClientResponse response = call("GET", "/runner/isolation/user/u/stats");
        EXPECT_EQ(response.status, status) << name;
        EXPECT_EQ(response.body.value("error", ""), name);
        EXPECT_EQ(response.body.value("message", ""), "saas user id 'u' failed");
    }
}

TEST_F(GatewayServer, MapsUnexpectedExceptionTo500)
{
    EXPECT_CALL(backend_, listUsers()).WillOnce(Throw(std::runtime_error("unexpected")));

    expectError(call("GET", "/runner/isolation/users"), 500, "com.pactown.Gateway.Error.Failed");
}

TEST_F(GatewayServer, RejectsMalformedRequests)
{
    expectError(sendRequest(port_, "GET  /runner/isolation/users HTTP/1.1\r\nHost: h\r\n\r\n"), 400,
                "com.pactown.Gateway.Error.BadRequest");
    expectError(sendRequest(port_, "GET /runner/isolation/users HTTP/1.1\nHost: h\n\n"), 400,
                "com.pactown.Gateway.Error.BadRequest");
    expectError(sendRequest(port_, "GET /runner/isolation/users HTTP/3.0\r\nHost: h\r\n\r\n"), 505,
                "com.pactown.Gateway.Error.VersionNotSupported");
}

TEST_F(GatewayServer, RejectsOversizedHead)
{
    const std::string request = "GET /runner/isolation/users HTTP/1.1\r\nHost: h\r\nX-Padding: " +
                                std::string(17 * 1024, 'a') + "\r\n\r\n";

    expectError(sendRequest(port_, request), 431, "com.pactown.Gateway.Error.HeadersTooLarge");
}

TEST_F(GatewayServer, IgnoresSmallBodyAndRejectsLargeOne)
{
    EXPECT_CALL(backend_, listUsers()).WillOnce(Return(std::vector<IsolatedUser>{}));
    const std::string head = std::string("GET /runner/isolation/users HTTP/1.1\r\nHost: h\r\nAuthorization: Bearer ") + kToken;

    const ClientResponse small = sendRequest(port_, head + "\r\nContent-Length: 10\r\n\r\n0123456789");
    const ClientResponse large = sendRequest(port_, head + "\r\nContent-Length: 1000000\r\n\r\n");

    EXPECT_EQ(small.status, 200);
    EXPECT_EQ(small.body, nlohmann::json({{"users", nlohmann::json::array()}, {"count", 0}}));
    expectError(large, 413, "com.pactown.Gateway.Error.PayloadTooLarge");
}

TEST_F(GatewayServer, ServesIpv6Loopback)
{
    stopServer();
    startServer(ServerLimits{}, "[::1]:0");
    EXPECT_CALL(backend_, listUsers()).WillOnce(Return(std::vector<IsolatedUser>{}));

    const ClientResponse response =
        sendRequest(port_, requestText("GET", "/runner/isolation/users"), AF_INET6);

    EXPECT_EQ(response.status, 200);
}

TEST_F(GatewayServer, TimesOutSlowClient)
{
    stopServer();
    ServerLimits limits;
    limits.connection.ioTimeout = std::chrono::milliseconds(300);
    startServer(limits);

    const int fd = test::connectLoopback(port_, AF_INET);
    test::sendText(fd, "GET /runner/isolation/users HTTP/1.1\r\nHost: h\r\n");
    const ClientResponse response = test::readResponse(fd);
    close(fd);

    expectError(response, 408, "com.pactown.Gateway.Error.RequestTimeout");
}

TEST_F(GatewayServer, RejectsConnectionsBeyondQueue)
{
    stopServer();
    ServerLimits limits;
    limits.workers = 1;
    limits.maxQueuedConnections = 1;
    startServer(limits);

    // The first request holds the only worker inside the backend until released. The
    // releaser also runs when an assertion ends the test early, so the worker can be joined.
    std::promise<void> entered;
    std::promise<void> release;
    std::shared_future<void> released = release.get_future().share();
    EXPECT_CALL(backend_, listUsers())
        .WillOnce([&] {
            entered.set_value();
            released.wait();
            return std::vector<IsolatedUser>{};
        })
        .WillOnce(Return(std::vector<IsolatedUser>{}));

    auto first = std::async(std::launch::async, [&] { return call("GET", "/runner/isolation/users"); });
    std::shared_ptr<void> releaser(nullptr, [&](void*) { release.set_value(); });
    ASSERT_EQ(entered.get_future().wait_for(std::chrono::seconds(10)), std::future_status::ready)
        << "the first request never reached the backend";
    const int queued = test::connectLoopback(port_, AF_INET);
    test::sendText(queued, requestText("GET", "/runner/isolation/users"));
    // This client sends nothing, so that the server's close cannot turn into a reset before
    // the 503 is read.
    const int overflow = test::connectLoopback(port_, AF_INET);
    const ClientResponse rejected = test::readResponse(overflow);
    close(overflow);
    releaser.reset();
    const ClientResponse queuedResponse = test::readResponse(queued);
    close(queued);

    expectError(rejected, 503, "com.pactown.Gateway.Error.Overloaded");
    EXPECT_NE(rejected.head.find("Retry-After: 1\r\n"), std::string::npos);
    EXPECT_EQ(first.get().status, 200);
    EXPECT_EQ(queuedResponse.status, 200);
}

TEST(ParseListenAddress, AcceptsNumericAddresses)
{
    EXPECT_EQ(parseListenAddress("127.0.0.1:8787").address.ss_family, AF_INET);
    EXPECT_EQ(parseListenAddress("[::1]:8787").address.ss_family, AF_INET6);
    EXPECT_EQ(parseListenAddress("0.0.0.0:0").address.ss_family, AF_INET);
}

TEST(ParseListenAddress, RejectsInvalidAddresses)
{
    for (const char* text : {"", "8787", "localhost:8787", "127.0.0.1", "127.0.0.1:", "127.0.0.1:65536",
                             "127.0.0.1:-1", "::1:8787", "[::1]8787", "[::1]:", "[zz]:80", "1.2.3.4:80x"})
        EXPECT_THROW(parseListenAddress(text), std::invalid_argument) << "address '" << text << "'";
}

} // namespace
} // namespace pactown::gateway
