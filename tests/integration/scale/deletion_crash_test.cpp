// A process killed at every step of deleteUser() leaves a 'deleting' row that the next call
// or doctor() completes. Deletion stops runs through systemd, so this runs in the sandbox.
#include "../support/command.h"
#include "../../unit/manager/tenant_fixture.h"

#include "accounts/crash_point.h"
#include "manager/tenant_store.h"

#include <pactown/user_isolation_manager.h>

#include <csignal>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

namespace pactown::testing {
namespace {

const std::string saasUserId = "crash|deleted-tenant";

// Runs `body` in a child process, with the crash hook armed when `point` is not empty, and
// returns its wait status. The manager opens its bus connections in the child, so the parent
// stays free of their threads when it forks.
int inChild(const std::function<void()>& body, const std::string& point = {}, unsigned occurrence = 0)
{
    pid_t pid = ::fork();
    if (pid == 0) {
        if (!point.empty())
            armCrashPoint(point, occurrence);
        try {
            body();
        } catch (const std::exception& error) {
            std::fprintf(stderr, "child failed: %s\n", error.what());
            ::_exit(1);
        }
        ::_exit(0);
    }
    int status = 0;
    ::waitpid(pid, &status, 0);
    return status;
}

bool exitedCleanly(int status)
{
    return WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

class DeletionCrash : public ::testing::Test {
protected:
    void SetUp() override { requireSandbox(); }
};

TEST_F(DeletionCrash, EveryKillPointIsCompleted)
{
    const std::vector<std::string> points = {
        "delete-marked",          "delete-runs-stopped",    "delete-files-removed",
        "account-file-linked",    "account-file-backed-up", "account-file-staged",
        "account-file-renamed",   "delete-account-removed", "delete-home-removed",
    };
    unsigned kills = 0;
    for (const auto& point : points) {
        for (unsigned occurrence = 1; occurrence <= 16; ++occurrence) {
            test::TenantWorld world;
            Config config = world.config();
            std::string where = point + ":" + std::to_string(occurrence);
            ASSERT_TRUE(exitedCleanly(inChild([&] { UserIsolationManager(config).getOrCreateUser(saasUserId); })));
            // Delete with the home, so that a kept home shows which path completed the work.
            int status = inChild([&] { UserIsolationManager(config).deleteUser(saasUserId, true); }, point, occurrence);
            if (!WIFSIGNALED(status)) {
                EXPECT_TRUE(exitedCleanly(status)) << where;
                break;
            }
            ++kills;

            // Half of the kills are completed by the next deleteUser(), half by doctor().
            bool byDoctor = kills % 2 == 0;
            ASSERT_TRUE(exitedCleanly(inChild([&] {
                UserIsolationManager manager(config);
                if (byDoctor)
                    manager.doctor(true);
                else
                    manager.deleteUser(saasUserId, true);
            }))) << where;

            TenantStore store(config);
            DoctorReport report;
            store.doctor(report, false);
            EXPECT_TRUE(report.findings.empty()) << where << ": " << report.findings.front().check;
            EXPECT_FALSE(store.registry().findBySaasId(saasUserId)) << where;
            EXPECT_TRUE(store.registry().wasDeleted(saasUserId)) << where;
            EXPECT_EQ(world.users().size(), 1u) << where << ": the tenant's account is left";
            EXPECT_EQ(store.registry().quarantinedUids().size(), 1u) << where;
            EXPECT_EQ(world.accountCheckErrors(), "") << where;
            if (HasFailure())
                return;
        }
    }
    EXPECT_GE(kills, 20u);
    std::printf("killed the deleting process at %u points\n", kills);
}

TEST_F(DeletionCrash, CreatingIsBusyWhileDeletionIsInterrupted)
{
    test::TenantWorld world;
    Config config = world.config();
    ASSERT_TRUE(exitedCleanly(inChild([&] { UserIsolationManager(config).getOrCreateUser(saasUserId); })));
    ASSERT_TRUE(WIFSIGNALED(inChild([&] { UserIsolationManager(config).deleteUser(saasUserId, false); },
                                    "delete-files-removed", 1)));

    TenantStore store(config);
    EXPECT_THROW(store.getOrCreate(saasUserId), BusyError);
}

} // namespace
} // namespace pactown::testing
