// AccountUpdate with an AccountFilesCache: an update starts from the files as the previous one
// left them only while no other program has written them since.
#include "accounts/account_update.h"

#include "accounts/account_writer.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>

#include "temp_root.h"

namespace pactown {
namespace {

using test::TempRoot;

const std::string basePasswd = "root:x:0:0:root:/root:/bin/bash\n";
const std::string baseGroup = "root:x:0:\nshadow:x:42:\n";
const std::string baseShadow = "root:*:19000:0:99999:7:::\n";
const std::string baseGshadow = "root:*::\nshadow:*::\n";

NewAccount tenant(const std::string& name, uid_t id)
{
    return {name, id, id, "", "/home/pactown_users/" + name};
}

class AccountUpdateCacheTest : public ::testing::Test {
protected:
    void SetUp() override
    {
        root.writeFile("passwd", basePasswd, 0644);
        root.writeFile("group", baseGroup, 0644);
        root.writeFile("shadow", baseShadow, 0640, 0, 42);
        root.writeFile("gshadow", baseGshadow, 0640, 0, 42);
    }

    // One update that adds `account` and commits, as a creation does.
    void addWithCache(const NewAccount& account)
    {
        AccountLock lock(root.path());
        AccountUpdate update(root.path(), lock, &cache);
        ASSERT_EQ(update.presenceOf(account), AccountPresence::Missing) << account.name;
        update.add(account);
        update.commit();
    }

    // Rewrites etc/<name> the way shadow-utils does: a new file renamed over the old one.
    void replaceFile(const std::string& name, const std::string& content, mode_t mode, gid_t group)
    {
        root.writeFile(name + ".new", content, mode, 0, group);
        std::filesystem::rename(root.etc() / (name + ".new"), root.etc() / name);
    }

    TempRoot root;
    AccountFilesCache cache;
};

TEST_F(AccountUpdateCacheTest, NextUpdateStartsFromTheWrittenFiles)
{
    addWithCache(tenant("pactown_a", 65536));
    addWithCache(tenant("pactown_b", 65537));
    addWithCache(tenant("pactown_c", 65538));

    EXPECT_EQ(cache.counters().read, 1u);
    EXPECT_EQ(cache.counters().reused, 2u);
    EXPECT_EQ(root.readFile("passwd"), basePasswd + "pactown_a:x:65536:65536::/home/pactown_users/pactown_a:"
                                                    "/usr/sbin/nologin\n"
                                                    "pactown_b:x:65537:65537::/home/pactown_users/pactown_b:"
                                                    "/usr/sbin/nologin\n"
                                                    "pactown_c:x:65538:65538::/home/pactown_users/pactown_c:"
                                                    "/usr/sbin/nologin\n");
    EXPECT_EQ(root.strayFiles(), "");
}

// An entry that another program added between two updates is neither lost nor given away.
TEST_F(AccountUpdateCacheTest, FileReplacedByAnotherProgramIsReadAgain)
{
    addWithCache(tenant("pactown_a", 65536));
    std::string passwd = root.readFile("passwd") + "other:x:65537:65537::/home/other:/bin/sh\n";
    replaceFile("passwd", passwd, 0644, 0);

    {
        AccountLock lock(root.path());
        AccountUpdate update(root.path(), lock, &cache);
        EXPECT_EQ(update.presenceOf(tenant("pactown_b", 65537)), AccountPresence::Conflict);
        update.add(tenant("pactown_b", 65538));
        update.commit();
    }
    EXPECT_EQ(cache.counters().read, 2u);
    EXPECT_NE(root.readFile("passwd").find("other:x:65537:"), std::string::npos);
    EXPECT_NE(root.readFile("passwd").find("pactown_b:x:65538:"), std::string::npos);
}

TEST_F(AccountUpdateCacheTest, FileWrittenInPlaceIsReadAgain)
{
    addWithCache(tenant("pactown_a", 65536));
    {
        std::ofstream group(root.etc() / "group", std::ios::app);
        group << "staff:x:65537:\n";
    }

    AccountLock lock(root.path());
    AccountUpdate update(root.path(), lock, &cache);
    EXPECT_TRUE(update.hasName("staff"));
    EXPECT_EQ(cache.counters().read, 1u);
}

// An update whose changes were never committed does not leave them in the cache.
TEST_F(AccountUpdateCacheTest, UncommittedChangesAreForgotten)
{
    addWithCache(tenant("pactown_a", 65536));
    {
        AccountLock lock(root.path());
        AccountUpdate update(root.path(), lock, &cache);
        update.add(tenant("pactown_b", 65537));
    }

    AccountLock lock(root.path());
    AccountUpdate update(root.path(), lock, &cache);
    EXPECT_FALSE(update.hasName("pactown_b"));
    EXPECT_EQ(update.presenceOf(tenant("pactown_a", 65536)), AccountPresence::Complete);
}

TEST_F(AccountUpdateCacheTest, RemovalIsWrittenAndCached)
{
    addWithCache(tenant("pactown_a", 65536));
    {
        AccountLock lock(root.path());
        AccountUpdate update(root.path(), lock, &cache);
        ASSERT_TRUE(update.remove("pactown_a"));
        update.commit();
    }
    EXPECT_EQ(root.readFile("passwd"), basePasswd);
    EXPECT_EQ(root.readFile("gshadow"), baseGshadow);

    addWithCache(tenant("pactown_a", 65536));
    EXPECT_EQ(cache.counters().reused, 2u);
}

// The previous version becomes "<file>-" by a hard link, so a write copies nothing twice, and
// it keeps its owner and mode.
TEST_F(AccountUpdateCacheTest, PreviousVersionIsKeptAsBackup)
{
    ino_t shadowInode = root.statFile("shadow").st_ino;
    addWithCache(tenant("pactown_a", 65536));

    EXPECT_EQ(root.readFile("shadow-"), baseShadow);
    EXPECT_EQ(root.readFile("passwd-"), basePasswd);
    EXPECT_EQ(root.statFile("shadow-").st_ino, shadowInode);
    EXPECT_EQ(root.statFile("shadow-").st_nlink, 1u);
    EXPECT_EQ(root.statFile("shadow-").st_mode & 07777, 0640u);
    EXPECT_EQ(root.statFile("shadow-").st_gid, 42u);
    EXPECT_EQ(root.strayFiles(), "");

    addWithCache(tenant("pactown_b", 65537));
    EXPECT_NE(root.readFile("passwd-").find("pactown_a"), std::string::npos);
    EXPECT_EQ(root.readFile("passwd-").find("pactown_b"), std::string::npos);
}

// A write interrupted after its backup leaves "<file>-" linked to the file itself. The next
// write must not leave its own temp link behind.
TEST_F(AccountUpdateCacheTest, LinkedBackupLeavesNoTempFile)
{
    std::filesystem::create_hard_link(root.etc() / "passwd", root.etc() / "passwd-");
    addWithCache(tenant("pactown_a", 65536));

    EXPECT_EQ(root.readFile("passwd-"), basePasswd);
    EXPECT_EQ(root.strayFiles(), "");
}

} // namespace
} // namespace pactown
