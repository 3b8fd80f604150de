// Bad input sent to pactownd directly over D-Bus: each call gets a named error and nothing is
// created.
#include "../support/command.h"
#include "bus_client.h"

#include <fcntl.h>
#include <gtest/gtest.h>

namespace pactown::testing {
namespace {

using Options = std::map<std::string, sdbus::Variant>;

const std::string invalidArgument = "com.pactown.Isolation1.Error.InvalidArgument";

Options runCommandOption()
{
    return {{"command", sdbus::Variant(std::string("true"))}};
}

class DaemonBadInput : public ::testing::Test {
protected:
    void SetUp() override
    {
        requireSandbox();
        connection_ = openSystemBus();
        manager_ = std::make_unique<RecordingManager>(*connection_);
        passwdBefore_ = readFile("/etc/passwd");
        usersBefore_ = manager_->ListUsers().size();
    }

    void TearDown() override
    {
        for (const auto& id : created_)
            manager_->DeleteUser(id, true);
        EXPECT_EQ(readFile("/etc/passwd"), passwdBefore_) << "bad input changed /etc/passwd";
        EXPECT_EQ(manager_->ListUsers().size(), usersBefore_) << "bad input created a tenant";
    }

    void createTenant(const std::string& saasUserId)
    {
        created_.push_back(saasUserId);
        manager_->GetOrCreateUser(saasUserId);
    }

    std::string runError(const std::string& saasUserId, const Options& options)
    {
        return dbusErrorOf([&] { manager_->RunAsUser(saasUserId, options); });
    }

    std::unique_ptr<sdbus::IConnection> connection_;
    std::unique_ptr<RecordingManager> manager_;
    std::vector<std::string> created_;

private:
    std::string passwdBefore_;
    std::size_t usersBefore_ = 0;
};

TEST_F(DaemonBadInput, SaasIdsRejectedByEveryMethod)
{
    const std::vector<std::string> ids{"", std::string(256, 'x'), "a\x01", "tab\tid", "new\nline", "del\x7f"};
    for (const auto& id : ids) {
        SCOPED_TRACE("saas id of " + std::to_string(id.size()) + " bytes");
        EXPECT_EQ(dbusErrorOf([&] { manager_->GetOrCreateUser(id); }), invalidArgument);
        EXPECT_EQ(dbusErrorOf([&] { manager_->GetUser(id); }), invalidArgument);
        EXPECT_EQ(dbusErrorOf([&] { manager_->GetSandboxPath(id, "api"); }), invalidArgument);
        EXPECT_EQ(runError(id, runCommandOption()), invalidArgument);
        EXPECT_EQ(dbusErrorOf([&] { manager_->GetUserStats(id); }), invalidArgument);
        EXPECT_EQ(dbusErrorOf([&] { manager_->DeleteUser(id, true); }), invalidArgument);
    }
    // An empty id means every tenant to ListRuns; others are checked.
    EXPECT_EQ(dbusErrorOf([&] { manager_->ListRuns(std::string(256, 'x')); }), invalidArgument);
}

TEST_F(DaemonBadInput, NonUtf8NeverReachesDaemon)
{
    // D-Bus forbids invalid UTF-8 in strings: sd-bus rejects it before sending, so the daemon never
    // receives such an id and cannot be asked to create a tenant for it.
    const std::string error = dbusErrorOf([&] { manager_->GetOrCreateUser("bad\xff\xfe"); });
    EXPECT_FALSE(error.empty());
    EXPECT_EQ(error.rfind("com.pactown.", 0), std::string::npos) << error;
}

TEST_F(DaemonBadInput, ServiceIdsRejected)
{
    createTenant("daemon-test|service-ids");
    for (const std::string serviceId : {"..", "a/b", ".", "", "../../etc"}) {
        SCOPED_TRACE("service id '" + serviceId + "'");
        EXPECT_EQ(dbusErrorOf([&] { manager_->GetSandboxPath("daemon-test|service-ids", serviceId); }),
                  invalidArgument);
        Options options = runCommandOption();
        options["service"] = sdbus::Variant(serviceId);
        EXPECT_EQ(runError("daemon-test|service-ids", options), invalidArgument);
    }
}

TEST_F(DaemonBadInput, WorkingDirectoryOutsideHomeRejected)
{
    createTenant("daemon-test|cwd");
    for (const std::string cwd : {"/", "/etc", "/home/pactown_users", "/home/pactown_users/../../etc", "relative"}) {
        SCOPED_TRACE("cwd '" + cwd + "'");
        Options options = runCommandOption();
        options["cwd"] = sdbus::Variant(cwd);
        EXPECT_EQ(runError("daemon-test|cwd", options), invalidArgument);
    }
}

TEST_F(DaemonBadInput, RunOptionKeysAndTypesChecked)
{
    createTenant("daemon-test|options");
    const std::vector<std::pair<std::string, sdbus::Variant>> badOptions{
        {"no_such_key", sdbus::Variant(true)},
        {"wait", sdbus::Variant(true)},
        {"memory_max", sdbus::Variant(std::string("64M"))},
        {"cpu_quota_percent", sdbus::Variant(uint64_t{20})},
        {"tasks_max", sdbus::Variant(int32_t{4})},
        {"private_network", sdbus::Variant(std::string("yes"))},
        {"environment", sdbus::Variant(std::vector<std::string>{"A=B"})},
        {"stdin", sdbus::Variant(int32_t{0})},
        {"argv", sdbus::Variant(std::string("true"))},
    };
    for (const auto& [key, value] : badOptions) {
        SCOPED_TRACE("option '" + key + "'");
        Options options = key == "argv" ? Options{} : runCommandOption();
        options[key] = value;
        EXPECT_EQ(runError("daemon-test|options", options), invalidArgument);
    }

    EXPECT_EQ(runError("daemon-test|options", {}), invalidArgument);
    Options both = runCommandOption();
    both["argv"] = sdbus::Variant(std::vector<std::string>{"true"});
    EXPECT_EQ(runError("daemon-test|options", both), invalidArgument);
}

TEST_F(DaemonBadInput, ExportPolicyChecked)
{
    createTenant("daemon-test|export-policy");
    const sdbus::UnixFd devNull(::open("/dev/null", O_WRONLY | O_CLOEXEC), sdbus::adopt_fd);
    EXPECT_EQ(dbusErrorOf([&] { manager_->ExportUserData("daemon-test|export-policy", devNull, "maybe"); }),
              invalidArgument);
}

TEST_F(DaemonBadInput, UnknownRunIsNoSuchRun)
{
    EXPECT_EQ(dbusErrorOf([&] { manager_->WaitRun("pactown-never-started.service"); }),
              "com.pactown.Isolation1.Error.NoSuchRun");
}

TEST_F(DaemonBadInput, DoctorAnswersWithoutError)
{
    EXPECT_EQ(dbusErrorOf([&] { manager_->Doctor(false); }), "");
}

TEST_F(DaemonBadInput, PactownctlPrintsNamedError)
{
    auto result = runCommand({"pactownctl", "user", "get", ""});
    EXPECT_EQ(result.status, 1);
    EXPECT_EQ(result.err.rfind("pactownctl: ", 0), 0u) << result.err;
    EXPECT_NE(result.err.find("(" + invalidArgument + ")"), std::string::npos) << result.err;

    auto usage = runCommand({"pactownctl", "run", "x", "--no-such-option", "--", "true"});
    EXPECT_EQ(usage.status, 2) << usage.err;
}

} // namespace
} // namespace pactown::testing
