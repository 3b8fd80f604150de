// Bad input through pactownctl and busctl: each gets a named error and creates nothing.
#include "../support/command.h"

#include <gtest/gtest.h>

namespace pactown::testing {
namespace {

const std::string errorPrefix = "com.pactown.Isolation1.Error.";

class BadInput : public ::testing::Test {
protected:
    void SetUp() override
    {
        requireSandbox();
        passwdBefore_ = readFile("/etc/passwd");
        usersBefore_ = pactownctl({"users", "--json"}).out;
    }

    void TearDown() override
    {
        EXPECT_EQ(readFile("/etc/passwd"), passwdBefore_) << "bad input changed /etc/passwd";
        EXPECT_EQ(pactownctl({"users", "--json"}).out, usersBefore_) << "bad input created a tenant";
    }

    // Checks that a pactownctl call failed with the named D-Bus error on stderr.
    static void expectNamedError(const CommandResult& result, const std::string& name)
    {
        EXPECT_EQ(result.status, 1) << result.out << result.err;
        EXPECT_NE(result.err.find(errorPrefix + name), std::string::npos) << result.err;
    }

private:
    std::string passwdBefore_;
    std::string usersBefore_;
};

TEST_F(BadInput, SaasIdsRejectedByPactownctl)
{
    const std::vector<std::string> ids{"", std::string(256, 'a'), "tab\there", "new\nline", "bell\x07", "del\x7f"};
    for (const auto& id : ids) {
        SCOPED_TRACE("saas id of " + std::to_string(id.size()) + " bytes");
        expectNamedError(pactownctl({"user", "create", id}), "InvalidArgument");
        expectNamedError(pactownctl({"user", "get", id}), "InvalidArgument");
    }
}

TEST_F(BadInput, NonUtf8SaasIdRejected)
{
    // D-Bus itself rejects a string that is not UTF-8, so pactownctl must not crash on it and
    // the daemon never sees it.
    auto result = pactownctl({"user", "create", "bad\xff\xfe"});
    EXPECT_NE(result.status, 0);
    EXPECT_FALSE(result.err.empty());
}

TEST_F(BadInput, SaasIdsRejectedOverBus)
{
    const std::vector<std::string> ids{"", std::string(256, 'b'), "line\nbreak", "esc\x1b["};
    for (const auto& id : ids) {
        auto result = callManager("GetOrCreateUser", "s", {id});
        EXPECT_NE(result.status, 0);
        EXPECT_NE(result.err.find("saas user id"), std::string::npos) << result.err;
    }
}

TEST_F(BadInput, ServiceIdsRejected)
{
    ASSERT_EQ(pactownctl({"user", "create", "service-ids"}).status, 0);
    std::string passwd = readFile("/etc/passwd");
    for (const std::string serviceId : {"..", "a/b", ".", "", "../../etc"}) {
        SCOPED_TRACE("service id '" + serviceId + "'");
        expectNamedError(pactownctl({"sandbox", "service-ids", serviceId}), "InvalidArgument");
        expectNamedError(pactownctl({"run", "service-ids", "--service", serviceId, "--", "true"}), "InvalidArgument");
    }
    // The tenant created above is part of this test's own state, not bad input.
    ASSERT_EQ(pactownctl({"delete", "service-ids", "--delete-home"}).status, 0);
}

TEST_F(BadInput, WorkingDirectoryOutsideHomeRejected)
{
    ASSERT_EQ(pactownctl({"user", "create", "cwd-check"}).status, 0);
    for (const std::string cwd : {"/", "/etc", "/home/pactown_users", "/home/pactown_users/../../etc", "relative"}) {
        SCOPED_TRACE("cwd '" + cwd + "'");
        expectNamedError(pactownctl({"run", "cwd-check", "--cwd", cwd, "--", "true"}), "InvalidArgument");
    }
    ASSERT_EQ(pactownctl({"delete", "cwd-check", "--delete-home"}).status, 0);
}

TEST_F(BadInput, UnknownOptionKeyRejected)
{
    ASSERT_EQ(pactownctl({"user", "create", "option-check"}).status, 0);
    auto unknown = callManager("RunAsUser", "sa{sv}", {"option-check", "2", "command", "s", "true", "no_such_key", "b", "true"});
    EXPECT_NE(unknown.status, 0);
    EXPECT_NE(unknown.err.find("no_such_key"), std::string::npos) << unknown.err;

    auto wrongType = callManager("RunAsUser", "sa{sv}", {"option-check", "2", "command", "s", "true", "memory_max", "s", "64M"});
    EXPECT_NE(wrongType.status, 0);
    EXPECT_NE(wrongType.err.find("memory_max"), std::string::npos) << wrongType.err;

    auto noCommand = callManager("RunAsUser", "sa{sv}", {"option-check", "0"});
    EXPECT_NE(noCommand.status, 0);
    ASSERT_EQ(pactownctl({"delete", "option-check", "--delete-home"}).status, 0);
}

TEST_F(BadInput, BadLimitValuesRejectedByPactownctl)
{
    const std::vector<std::vector<std::string>> calls{
        {"--memory-max", "lots"}, {"--memory-max", "-1"}, {"--cpu-quota", "20"}, {"--cpu-quota", "0%"},
        {"--tasks-max", "many"},  {"--tasks-max", "0"},   {"--no-such-option"},
    };
    for (const auto& options : calls) {
        std::vector<std::string> arguments{"run", "nobody-here"};
        arguments.insert(arguments.end(), options.begin(), options.end());
        arguments.insert(arguments.end(), {"--", "true"});
        auto result = pactownctl(arguments);
        SCOPED_TRACE(options.front());
        EXPECT_NE(result.status, 0);
        EXPECT_FALSE(result.err.empty());
    }
}

TEST_F(BadInput, UnknownTenantIsNoSuchUser)
{
    expectNamedError(pactownctl({"user", "get", "never-created"}), "NoSuchUser");
    expectNamedError(pactownctl({"run", "never-created", "--", "true"}), "NoSuchUser");
    expectNamedError(pactownctl({"stats", "never-created"}), "NoSuchUser");
    expectNamedError(pactownctl({"delete", "never-created"}), "NoSuchUser");
}

} // namespace
} // namespace pactown::testing
