// Tenants, runs and transfers through pactownd's D-Bus API, with the signals they emit.
#include "../support/command.h"
#include "bus_client.h"
#include "tenant_fixture.h"

#include <fcntl.h>
#include <csignal>
#include <future>
#include <limits>
#include <gtest/gtest.h>
#include <unistd.h>

namespace pactown::testing {
namespace {

using Options = std::map<std::string, sdbus::Variant>;

Options shellCommand(const std::string& command)
{
    return {{"command", sdbus::Variant(command)}};
}

class DaemonLifecycle : public DaemonTenantTest {
protected:
    static auto isSignal(const std::string& name, const std::string& firstArgument)
    {
        return [=](const ReceivedSignal& signal) {
            return signal.name == name && !signal.arguments.empty() && signal.arguments[0] == firstArgument;
        };
    }
};

TEST_F(DaemonLifecycle, CreateAndDeleteEmitSignals)
{
    const std::string saasUserId = "daemon-test|signals";
    // Removes a leftover of an earlier failed run; NoSuchUser when there is none.
    dbusErrorOf([&] { manager_->DeleteUser(saasUserId, true); });
    const auto path = manager_->GetOrCreateUser(saasUserId);
    ASSERT_TRUE(manager_->waitForSignal(isSignal("UserCreated", saasUserId)));

    manager_->GetOrCreateUser(saasUserId);
    manager_->DeleteUser(saasUserId, true);
    ASSERT_TRUE(manager_->waitForSignal(isSignal("UserRemoved", saasUserId)));

    std::size_t created = 0;
    for (const auto& signal : manager_->signals()) {
        if (signal.name == "UserCreated" && signal.arguments[0] == saasUserId) {
            ++created;
            EXPECT_EQ(signal.arguments[1], std::string(path));
        }
        if (signal.name == "UserRemoved" && signal.arguments[0] == saasUserId)
            EXPECT_EQ(signal.arguments[1], std::string(path));
    }
    EXPECT_EQ(created, 1u) << "GetOrCreateUser of an existing tenant emitted UserCreated again";
    EXPECT_EQ(dbusErrorOf([&] { manager_->GetUser(saasUserId); }), "com.pactown.Isolation1.Error.NoSuchUser");
}

TEST_F(DaemonLifecycle, WaitRunReportsExitStatus)
{
    createTenant("daemon-test|exit-status");
    const auto [unit, invocationId, mainPid] = manager_->RunAsUser("daemon-test|exit-status", shellCommand("exit 3"));
    EXPECT_EQ(invocationId.size(), 32u);

    const auto [result, exitCode, exitStatus] = manager_->WaitRun(unit);
    EXPECT_EQ(result, "exit-code");
    EXPECT_EQ(exitCode, "exited");
    EXPECT_EQ(exitStatus, 3);
    ASSERT_TRUE(manager_->waitForSignal(isSignal("RunFinished", unit)));
    for (const auto& signal : manager_->signals()) {
        if (signal.name == "RunFinished" && signal.arguments[0] == unit)
            EXPECT_EQ(signal.arguments, (std::vector<std::string>{unit, "daemon-test|exit-status", "exit-code", "exited", "3"}));
    }
}

TEST_F(DaemonLifecycle, PendingWaitRunDoesNotBlockOtherCalls)
{
    createTenant("daemon-test|long-wait");
    const auto [unit, invocationId, mainPid] = manager_->RunAsUser("daemon-test|long-wait", shellCommand("sleep 300"));

    // The wait runs on a connection of its own, with no call timeout, as pactownctl --wait does.
    auto waiting = std::async(std::launch::async, [unit] {
        auto connection = openSystemBus();
        connection->setMethodCallTimeout(std::numeric_limits<uint64_t>::max());
        RecordingManager waiter(*connection);
        return waiter.WaitRun(unit);
    });

    // Other calls get their replies while the wait is pending.
    const auto runs = manager_->ListRuns("daemon-test|long-wait");
    ASSERT_EQ(runs.size(), 1u);
    EXPECT_EQ(runs[0].get<0>(), unit);
    EXPECT_EQ(waiting.wait_for(std::chrono::seconds(0)), std::future_status::timeout);

    manager_->StopRun(unit);
    ASSERT_EQ(waiting.wait_for(std::chrono::seconds(60)), std::future_status::ready);
    const auto [result, exitCode, exitStatus] = waiting.get();
    EXPECT_EQ(exitCode, "killed");
    EXPECT_EQ(exitStatus, SIGTERM);
}

TEST_F(DaemonLifecycle, ExportAndImportReportProgress)
{
    const std::string source = "daemon-test|export";
    const std::string target = "daemon-test|import";
    createTenant(source);
    created_.push_back(target);
    const std::string sandbox = manager_->GetSandboxPath(source, "api");
    ASSERT_EQ(runShell("head -c 1048576 /dev/urandom >'" + sandbox + "/data.bin'").status, 0);

    char archivePath[] = "/var/tmp/pactown-daemon-test-XXXXXX";
    const int archive = ::mkstemp(archivePath);
    ASSERT_GE(archive, 0);
    manager_->ExportUserData(source, sdbus::UnixFd(archive), "refuse");
    ASSERT_TRUE(manager_->waitForSignal(isSignal("TransferProgress", source)));

    ASSERT_EQ(::lseek(archive, 0, SEEK_SET), 0);
    const auto imported = manager_->ImportUserData(target, sdbus::UnixFd(archive));
    ::close(archive);
    ::unlink(archivePath);
    ASSERT_TRUE(manager_->waitForSignal(isSignal("TransferProgress", target)));

    EXPECT_EQ(std::string(imported), std::string(manager_->GetUser(target)));
    const std::string importedSandbox = manager_->GetSandboxPath(target, "api");
    EXPECT_EQ(readFile(importedSandbox + "/data.bin"), readFile(sandbox + "/data.bin"));
}

} // namespace
} // namespace pactown::testing
