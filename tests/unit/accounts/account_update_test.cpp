// AccountUpdate with an AccountFilesCache: an update starts from the files as the previous one
// left them only while no other program has written them since.
#include "accounts/account_update.h"

#include "accounts/account_writer.h"

#include <gtest/gtest.h>

#include <pactown/errors.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fcntl.h>
#include <fstream>
#include <linux/fs.h>
#include <sys/ioctl.h>
#include <sys/stat.h>

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
        root.writeAccountFiles(basePasswd, baseGroup, baseShadow, baseGshadow);
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

// When "<file>-" is already a link to the file itself, rename() of the new backup link does
// nothing. The write must still remove its temp link.
TEST_F(AccountUpdateCacheTest, LinkedBackupLeavesNoTempFile)
{
    std::filesystem::create_hard_link(root.etc() / "passwd", root.etc() / "passwd-");
    addWithCache(tenant("pactown_a", 65536));

    EXPECT_EQ(root.readFile("passwd-"), basePasswd);
    EXPECT_EQ(root.strayFiles(), "");
}

// An edit in place that keeps the size and puts the mtime back still changes the ctime.
TEST_F(AccountUpdateCacheTest, RestoredMtimeIsNoticed)
{
    addWithCache(tenant("pactown_a", 65536));
    auto path = root.etc() / "passwd";
    struct stat before = root.statFile("passwd");
    {
        std::fstream passwd(path, std::ios::in | std::ios::out);
        passwd.seekp(0);
        passwd << "R00T";
    }
    struct timespec times[2] = {before.st_atim, before.st_mtim};
    ASSERT_EQ(::utimensat(AT_FDCWD, path.c_str(), times, AT_SYMLINK_NOFOLLOW), 0);
    ASSERT_EQ(root.statFile("passwd").st_size, before.st_size);

    addWithCache(tenant("pactown_b", 65537));
    EXPECT_EQ(cache.counters().read, 2u);
    EXPECT_EQ(root.readFile("passwd").rfind("R00T", 0), 0u);
}

// A backup name that cannot be replaced does not stop an update whose files are written.
TEST_F(AccountUpdateCacheTest, BackupDirectoryDoesNotStopUpdate)
{
    std::filesystem::create_directory(root.etc() / "gshadow-");
    addWithCache(tenant("pactown_a", 65536));

    EXPECT_NE(root.readFile("gshadow").find("pactown_a:"), std::string::npos);
    EXPECT_NE(root.readFile("passwd").find("pactown_a:"), std::string::npos);
    EXPECT_EQ(root.readFile("passwd-"), basePasswd);
    EXPECT_TRUE(std::filesystem::is_directory(root.etc() / "gshadow-"));
    EXPECT_EQ(root.strayFiles(), "");
}

// An immutable file is found before the first rename, so no file is replaced.
TEST_F(AccountUpdateCacheTest, ImmutableFileLeavesAllFilesUnchanged)
{
    auto path = root.etc() / "passwd";
    int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    ASSERT_GE(fd, 0);
    int flags = 0;
    ASSERT_EQ(::ioctl(fd, FS_IOC_GETFLAGS, &flags), 0)
        << "the test needs a file system with inode flags (ext4, xfs, btrfs, tmpfs 6.0+) for " << root.path();
    flags |= FS_IMMUTABLE_FL;
    ASSERT_EQ(::ioctl(fd, FS_IOC_SETFLAGS, &flags), 0) << std::strerror(errno);

    try {
        addWithCache(tenant("pactown_a", 65536));
        ADD_FAILURE() << "an immutable passwd was accepted";
    } catch (const SystemError& error) {
        EXPECT_NE(std::string(error.what()).find("immutable"), std::string::npos) << error.what();
    }
    EXPECT_EQ(root.readFile("gshadow"), baseGshadow);
    EXPECT_EQ(root.readFile("group"), baseGroup);
    EXPECT_EQ(root.readFile("shadow"), baseShadow);
    EXPECT_FALSE(root.exists("gshadow-"));

    flags &= ~FS_IMMUTABLE_FL;
    ASSERT_EQ(::ioctl(fd, FS_IOC_SETFLAGS, &flags), 0);
    ::close(fd);
    addWithCache(tenant("pactown_a", 65536));
    EXPECT_NE(root.readFile("passwd").find("pactown_a:"), std::string::npos);
}

} // namespace
} // namespace pactown
