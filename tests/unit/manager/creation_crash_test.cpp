// A process killed at every step of creation leaves state that the next process completes.
#include "manager/tenant_store.h"

#include "accounts/crash_point.h"
#include "tenant_fixture.h"

#include <csignal>
#include <future>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

namespace pactown::test {
namespace {

HostAccounts freeHost()
{
    return {[](uid_t) { return false; }, [](std::string_view) { return false; }};
}

const std::vector<std::string> tenantIds = {"crash-a", "crash-b", "crash-c", "crash-d", "crash-e"};

// What the killed process does: one tenant alone, three concurrent ones (one batch or more)
// and one more alone, so that each crash point is reached several times.
void createTenants(const Config& config)
{
    TenantStore store(config, {}, freeHost());
    store.getOrCreate(tenantIds[0]);
    std::vector<std::future<IsolatedUser>> futures;
    for (size_t i = 1; i + 1 < tenantIds.size(); ++i)
        futures.push_back(std::async(std::launch::async, [&, i] { return store.getOrCreate(tenantIds[i]); }));
    for (auto& future : futures)
        future.get();
    store.getOrCreate(tenantIds.back());
}

// Runs createTenants in a child armed to die at the occurrence-th `point`, and returns whether
// the child was killed there.
bool killedAt(const Config& config, const std::string& point, unsigned occurrence)
{
    pid_t pid = ::fork();
    if (pid == 0) {
        armCrashPoint(point, occurrence);
        try {
            createTenants(config);
        } catch (const std::exception& error) {
            std::fprintf(stderr, "creation failed: %s\n", error.what());
            ::_exit(1);
        }
        ::_exit(0);
    }
    int status = 0;
    EXPECT_EQ(::waitpid(pid, &status, 0), pid);
    EXPECT_TRUE(WIFSIGNALED(status) || (WIFEXITED(status) && WEXITSTATUS(status) == 0))
        << point << ":" << occurrence << " ended with status " << status;
    return WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL;
}

std::string describe(const DoctorReport& report)
{
    std::string text;
    for (const auto& finding : report.findings)
        text += finding.check + " '" + finding.subject + "': " + finding.detail + "\n";
    return text;
}

// The state after a crash and a repair: every row active and matching a complete account,
// every home private to its tenant, and the account files clean for pwck and grpck.
void expectConsistent(const TenantWorld& world, const Config& config, const std::string& where)
{
    TenantStore store(config, {}, freeHost());
    DoctorReport repair;
    store.doctor(repair, true);
    DoctorReport after;
    store.doctor(after, false);
    EXPECT_TRUE(after.findings.empty()) << where << ":\n" << describe(after);
    EXPECT_TRUE(store.registry().listInState(TenantState::Creating).empty()) << where;

    std::map<std::string, PasswdEntry> users;
    for (const auto& entry : world.users())
        users[entry.name] = entry;
    for (const auto& user : store.list()) {
        ASSERT_TRUE(users.contains(user.linuxUsername)) << where << ": no account for " << user.linuxUsername;
        EXPECT_EQ(users[user.linuxUsername].uid, user.linuxUid) << where;
        struct stat status {};
        ASSERT_EQ(::lstat(user.homeDir.c_str(), &status), 0) << where << ": " << user.homeDir;
        EXPECT_EQ(status.st_uid, user.linuxUid) << where;
        EXPECT_EQ(status.st_mode & 07777, 0700u) << where;
    }
    EXPECT_EQ(users.size(), store.list().size() + 1) << where << ": accounts without tenant";
    EXPECT_EQ(world.accountCheckErrors(), "") << where;

    // The next calls complete the work: every tenant exists once, as recorded in the registry.
    for (const auto& id : tenantIds) {
        IsolatedUser user = store.getOrCreate(id);
        EXPECT_EQ(store.getOrCreate(id).linuxUid, user.linuxUid) << where;
    }
    EXPECT_EQ(store.list().size(), tenantIds.size()) << where;
    EXPECT_EQ(world.accountCheckErrors(), "") << where;
}

class CreationCrashTest : public ::testing::Test {
protected:
    void SetUp() override { requireRoot(); }
};

TEST_F(CreationCrashTest, EveryKillPointIsRepaired)
{
    // Each point is tried at increasing occurrences until the child no longer reaches it.
    const std::vector<std::string> points = {
        "create-reserved", "create-home-made", "account-file-linked", "account-file-backed-up",
        "account-file-staged", "account-file-renamed",
        "create-accounts-written", "create-activated",
    };
    unsigned kills = 0;
    for (const auto& point : points) {
        for (unsigned occurrence = 1; occurrence <= 64; ++occurrence) {
            TenantWorld world;
            Config config = world.config();
            if (!killedAt(config, point, occurrence))
                break;
            ++kills;
            expectConsistent(world, config, point + ":" + std::to_string(occurrence));
            if (HasFailure())
                return;
        }
    }
    EXPECT_GE(kills, 50u) << "too few distinct kill points were reached";
    std::printf("killed the creating process at %u points\n", kills);
}

} // namespace
} // namespace pactown::test
