// Linux name collisions of the 32-bit name hash, injected with a stub hasher.
#include "manager/tenant_store.h"

#include "tenant_fixture.h"

#include <fstream>
#include <sys/stat.h>

#include <gtest/gtest.h>

namespace pactown::test {
namespace {

HostAccounts freeHost()
{
    return {[](uid_t) { return false; }, [](std::string_view) { return false; }};
}

// Every id hashes to the same first 8 digits, and ids differ from the 9th digit on. The
// ids starting with "identical" get the very same digits.
std::string collidingHash(std::string_view saasUserId)
{
    if (saasUserId.starts_with("identical"))
        return std::string(32, 'a');
    std::string digits = "deadbeef";
    for (unsigned char c : saasUserId)
        digits += "0123456789abcdef"[c % 16];
    while (digits.size() < 32)
        digits += '0';
    return digits;
}

class NameCollisionTest : public ::testing::Test {
protected:
    void SetUp() override { requireRoot(); }

    static void expectPrivateHome(const IsolatedUser& user)
    {
        struct stat status {};
        ASSERT_EQ(::lstat(user.homeDir.c_str(), &status), 0) << user.homeDir;
        EXPECT_EQ(status.st_uid, user.linuxUid);
        EXPECT_EQ(status.st_mode & 07777, 0700u);
    }

    TenantWorld world_;
    Config config_ = world_.config();
};

TEST_F(NameCollisionTest, CollidingTenantsGetDistinctNames)
{
    TenantStore store(config_, collidingHash, freeHost());
    IsolatedUser alice = store.getOrCreate("alice");
    IsolatedUser bob = store.getOrCreate("bob");

    EXPECT_EQ(alice.linuxUsername, "pactown_deadbeef");
    EXPECT_NE(bob.linuxUsername, alice.linuxUsername);
    EXPECT_TRUE(bob.linuxUsername.starts_with("pactown_deadbeef"));
    EXPECT_NE(bob.linuxUid, alice.linuxUid);
    EXPECT_NE(bob.homeDir, alice.homeDir);
    expectPrivateHome(alice);
    expectPrivateHome(bob);
    EXPECT_EQ(world_.accountCheckErrors(), "");
}

TEST_F(NameCollisionTest, IdenticalHashesStillGetDistinctNames)
{
    TenantStore store(config_, collidingHash, freeHost());
    IsolatedUser first = store.getOrCreate("identical-1");
    IsolatedUser second = store.getOrCreate("identical-2");
    EXPECT_NE(first.linuxUsername, second.linuxUsername);
    EXPECT_NE(first.linuxUid, second.linuxUid);
    expectPrivateHome(first);
    expectPrivateHome(second);
}

TEST_F(NameCollisionTest, NamesSurviveRestart)
{
    std::string aliceName;
    std::string bobName;
    {
        TenantStore store(config_, collidingHash, freeHost());
        aliceName = store.getOrCreate("alice").linuxUsername;
        bobName = store.getOrCreate("bob").linuxUsername;
    }
    TenantStore restarted(config_, collidingHash, freeHost());
    // Asked in the other order after the restart, each tenant keeps its name.
    EXPECT_EQ(restarted.getOrCreate("bob").linuxUsername, bobName);
    EXPECT_EQ(restarted.getOrCreate("alice").linuxUsername, aliceName);
}

TEST_F(NameCollisionTest, ForeignAccountIsNotTakenOver)
{
    world_.appendLine("passwd", "pactown_deadbeef:x:1234:1234::/nonexistent:/usr/sbin/nologin");
    world_.appendLine("group", "pactown_deadbeef:x:1234:");
    TenantStore store(config_, collidingHash, freeHost());
    IsolatedUser alice = store.getOrCreate("alice");

    EXPECT_NE(alice.linuxUsername, "pactown_deadbeef");
    bool foreignKept = false;
    for (const auto& entry : world_.users()) {
        if (entry.name == "pactown_deadbeef")
            foreignKept = entry.uid == 1234;
    }
    EXPECT_TRUE(foreignKept) << "the foreign account was changed or removed";
}

TEST_F(NameCollisionTest, NameKnownToHostIsNotUsed)
{
    HostAccounts host = freeHost();
    host.isNameKnown = [](std::string_view name) { return name == "pactown_deadbeef"; };
    TenantStore store(config_, collidingHash, host);
    EXPECT_NE(store.getOrCreate("alice").linuxUsername, "pactown_deadbeef");
}

TEST_F(NameCollisionTest, LeftoverHomeIsNotReused)
{
    auto leftover = world_.usersBase() / "pactown_deadbeef";
    std::filesystem::create_directories(leftover);
    std::ofstream(leftover / "secret") << "another tenant's data";

    TenantStore store(config_, collidingHash, freeHost());
    IsolatedUser alice = store.getOrCreate("alice");
    EXPECT_NE(alice.homeDir, leftover);
    struct stat status {};
    ASSERT_EQ(::lstat(leftover.c_str(), &status), 0);
    EXPECT_EQ(status.st_uid, 0u) << "the leftover home was given to the new tenant";
}

} // namespace
} // namespace pactown::test
