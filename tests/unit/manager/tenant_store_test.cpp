// Concurrency, group commit, UID range and lookups of TenantStore in a private account root.
#include "manager/tenant_store.h"

#include "accounts/account_lock.h"
#include "tenant_fixture.h"

#include <pactown/errors.h>

#include <chrono>
#include <future>
#include <set>
#include <sys/stat.h>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>

#include <gtest/gtest.h>

namespace pactown::test {
namespace {

using namespace std::chrono_literals;

// NSS is the host's: the tests' UIDs and names are free there, whatever the host has.
HostAccounts freeHost()
{
    return {[](uid_t) { return false; }, [](std::string_view) { return false; }};
}

// Waits for `condition` with a deadline, so a test never sleeps a fixed time.
bool waitFor(const std::function<bool()>& condition, std::chrono::seconds timeout = 30s)
{
    auto deadline = std::chrono::steady_clock::now() + timeout;
    while (!condition()) {
        if (std::chrono::steady_clock::now() > deadline)
            return false;
        std::this_thread::sleep_for(1ms);
    }
    return true;
}

class TenantStoreTest : public ::testing::Test {
protected:
    void SetUp() override { requireRoot(); }

    void expectHomeOwnedBy(const IsolatedUser& user)
    {
        struct stat status {};
        ASSERT_EQ(::lstat(user.homeDir.c_str(), &status), 0) << user.homeDir;
        EXPECT_TRUE(S_ISDIR(status.st_mode)) << user.homeDir;
        EXPECT_EQ(status.st_uid, user.linuxUid) << user.homeDir;
        EXPECT_EQ(status.st_gid, user.linuxGid) << user.homeDir;
        EXPECT_EQ(status.st_mode & 07777, 0700u) << user.homeDir;
    }

    TenantWorld world_;
    Config config_ = world_.config();
};

TEST_F(TenantStoreTest, ConcurrentThreadsGetOneRecordPerId)
{
    TenantStore store(config_, {}, freeHost());
    std::vector<std::future<IsolatedUser>> same;
    std::vector<std::future<IsolatedUser>> distinct;
    for (int i = 0; i < 20; ++i) {
        same.push_back(std::async(std::launch::async, [&] { return store.getOrCreate("shared|tenant"); }));
        distinct.push_back(std::async(std::launch::async, [&, i] { return store.getOrCreate("tenant-" + std::to_string(i)); }));
    }

    std::set<uid_t> uids;
    std::set<std::string> names;
    IsolatedUser first = same.front().get();
    uids.insert(first.linuxUid);
    names.insert(first.linuxUsername);
    for (size_t i = 1; i < same.size(); ++i) {
        IsolatedUser user = same[i].get();
        EXPECT_EQ(user.linuxUid, first.linuxUid);
        EXPECT_EQ(user.linuxUsername, first.linuxUsername);
        EXPECT_EQ(user.createdAt, first.createdAt);
    }
    for (auto& future : distinct) {
        IsolatedUser user = future.get();
        uids.insert(user.linuxUid);
        names.insert(user.linuxUsername);
        expectHomeOwnedBy(user);
    }
    EXPECT_EQ(uids.size(), 21u);
    EXPECT_EQ(names.size(), 21u);
    EXPECT_EQ(store.list().size(), 21u);
    EXPECT_EQ(world_.users().size(), 22u) << "root and 21 tenants";
    EXPECT_EQ(world_.accountCheckErrors(), "");
}

TEST_F(TenantStoreTest, ConcurrentProcessesNeverShareIdsOrNames)
{
    constexpr int processes = 4;
    constexpr int tenants = 12;
    std::vector<pid_t> children;
    for (int p = 0; p < processes; ++p) {
        pid_t pid = ::fork();
        ASSERT_GE(pid, 0);
        if (pid == 0) {
            int status = 0;
            try {
                TenantStore store(config_, {}, freeHost());
                // Each process walks the ids in another order, so that they race on each id.
                for (int i = 0; i < tenants; ++i)
                    store.getOrCreate("process-tenant-" + std::to_string((i * (p + 1)) % tenants));
            } catch (const std::exception& error) {
                std::fprintf(stderr, "child %d: %s\n", p, error.what());
                status = 1;
            }
            ::_exit(status);
        }
        children.push_back(pid);
    }
    for (pid_t child : children) {
        int status = 0;
        ASSERT_EQ(::waitpid(child, &status, 0), child);
        ASSERT_TRUE(WIFEXITED(status)) << "status " << status;
        EXPECT_EQ(WEXITSTATUS(status), 0);
    }

    TenantStore store(config_, {}, freeHost());
    EXPECT_EQ(store.list().size(), static_cast<size_t>(tenants));
    std::set<uid_t> uids;
    std::set<std::string> names;
    for (const auto& entry : world_.users()) {
        EXPECT_TRUE(uids.insert(entry.uid).second) << "UID " << entry.uid << " appears twice";
        EXPECT_TRUE(names.insert(entry.name).second) << "user '" << entry.name << "' appears twice";
    }
    for (const auto& user : store.list()) {
        EXPECT_TRUE(names.contains(user.linuxUsername)) << user.linuxUsername;
        expectHomeOwnedBy(user);
    }
    EXPECT_EQ(world_.accountCheckErrors(), "");
}

TEST_F(TenantStoreTest, QueuedCreationsShareOneUpdate)
{
    TenantStore store(config_, {}, freeHost());
    auto held = std::make_unique<AccountLock>(world_.root());
    auto leader = std::async(std::launch::async, [&] { return store.getOrCreate("leader"); });
    // The leader has taken the queue and waits for the account lock that the test holds.
    ASSERT_TRUE(waitFor([&] { return store.queuedCreations() == 0; }));

    std::vector<std::future<IsolatedUser>> followers;
    for (int i = 0; i < 7; ++i)
        followers.push_back(std::async(std::launch::async, [&, i] { return store.getOrCreate("follower-" + std::to_string(i)); }));
    ASSERT_TRUE(waitFor([&] { return store.queuedCreations() == 7; }));
    held.reset();

    leader.get();
    for (auto& follower : followers)
        follower.get();
    auto counters = store.batchCounters();
    EXPECT_EQ(counters.tenants, 8u);
    EXPECT_EQ(counters.batches, 2u) << "the seven followers should have been written in one update";
}

TEST_F(TenantStoreTest, ExistingTenantLookupSkipsAccountFiles)
{
    TenantStore store(config_, {}, freeHost());
    IsolatedUser created = store.getOrCreate("lookup|tenant");

    // A directory in place of passwd makes every read of the account files fail.
    auto passwd = world_.root() / "etc" / "passwd";
    std::filesystem::rename(passwd, world_.root() / "passwd.saved");
    std::filesystem::create_directory(passwd);

    bool wasCreated = true;
    IsolatedUser found = store.getOrCreate("lookup|tenant", &wasCreated);
    EXPECT_FALSE(wasCreated);
    EXPECT_EQ(found.linuxUid, created.linuxUid);
    EXPECT_THROW(store.getOrCreate("lookup|new"), SystemError);

    std::filesystem::remove(passwd);
    std::filesystem::rename(world_.root() / "passwd.saved", passwd);
}

// Creations one after another start from the files as the previous one wrote them, and an
// entry written meanwhile by another program is read and kept.
TEST_F(TenantStoreTest, CreationsReuseParsedAccountFiles)
{
    TenantStore store(config_, {}, freeHost());
    uid_t lastUid = 0;
    for (int i = 0; i < 5; ++i)
        lastUid = store.getOrCreate("reuse-" + std::to_string(i)).linuxUid;
    EXPECT_EQ(store.accountReadCounters().read, 1u);
    EXPECT_EQ(store.accountReadCounters().reused, 4u);

    // The UID that the next creation would take.
    std::string foreignUid = std::to_string(lastUid + 1);
    world_.appendLine("passwd", "foreign:x:" + foreignUid + ":" + foreignUid + "::/nonexistent:/usr/sbin/nologin");
    IsolatedUser next = store.getOrCreate("reuse-5");
    EXPECT_EQ(store.accountReadCounters().read, 2u);
    EXPECT_EQ(next.linuxUid, lastUid + 2);
    bool foreignKept = false;
    for (const auto& entry : world_.users())
        foreignKept = foreignKept || entry.name == "foreign";
    EXPECT_TRUE(foreignKept);
}

TEST_F(TenantStoreTest, ExhaustedRangeIsNamedError)
{
    Config config = world_.config(70000, 70001);
    TenantStore store(config, {}, freeHost());
    IsolatedUser first = store.getOrCreate("range-1");
    store.getOrCreate("range-2");
    EXPECT_THROW(store.getOrCreate("range-3"), UidRangeExhaustedError);

    // A deleted tenant's UID stays in quarantine and is not handed out again.
    store.markDeleting(first.saasUserId);
    store.removeAccount(first);
    store.forget(first);
    EXPECT_THROW(store.getOrCreate("range-3"), UidRangeExhaustedError);
    EXPECT_TRUE(store.registry().isUidReserved(first.linuxUid));
    EXPECT_EQ(world_.accountCheckErrors(), "");
}

TEST_F(TenantStoreTest, UidsSkipSubordinateRanges)
{
    world_.appendLine("subuid", "someone:70000:10");
    world_.appendLine("subgid", "someone:70010:5");
    TenantStore store(config_, {}, freeHost());
    EXPECT_EQ(store.getOrCreate("subordinate").linuxUid, 70015u);
}

TEST_F(TenantStoreTest, UidsKnownToHostAreSkipped)
{
    HostAccounts host = freeHost();
    host.isIdKnown = [](uid_t uid) { return uid == 70000; };
    TenantStore store(config_, {}, host);
    EXPECT_EQ(store.getOrCreate("nss-known").linuxUid, 70001u);
}

TEST_F(TenantStoreTest, DeletingTenantIsBusy)
{
    TenantStore store(config_, {}, freeHost());
    store.getOrCreate("being-deleted");
    store.markDeleting("being-deleted");
    EXPECT_THROW(store.getOrCreate("being-deleted"), BusyError);
}

} // namespace
} // namespace pactown::test

namespace pactown::test {
namespace {

TEST(TenantWorldTest, AccountCheckReportsUserWithoutShadowEntry)
{
    requireRoot();
    TenantWorld world;
    world.appendLine("passwd", "orphan:x:70000:0::/root:/bin/sh");
    EXPECT_NE(world.accountCheckErrors(), "");
}

} // namespace
} // namespace pactown::test
