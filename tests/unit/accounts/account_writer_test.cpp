#include "accounts/account_writer.h"

#include <pactown/errors.h>

#include <gtest/gtest.h>

#include <cstdlib>
#include <ctime>
#include <fcntl.h>
#include <fstream>
#include <sys/wait.h>
#include <unistd.h>

#include "temp_root.h"

namespace pactown {
namespace {

using test::TempRoot;

const std::string basePasswd = "root:x:0:0:root:/root:/bin/bash\n"
                               "daemon:x:1:1:daemon:/usr/sbin:/usr/sbin/nologin\n";
const std::string baseGroup = "root:x:0:\ndaemon:x:1:\nshadow:x:42:\n";
const std::string baseShadow = "root:*:19000:0:99999:7:::\ndaemon:*:19000:0:99999:7:::\n";
const std::string baseGshadow = "root:*::\ndaemon:*::\nshadow:*::\n";

NewAccount tenant(const std::string& name, uid_t id)
{
    return {name, id, id, "", "/home/pactown_users/" + name};
}

std::string today()
{
    return std::to_string(std::time(nullptr) / 86400);
}

class AccountWriterTest : public ::testing::Test {
protected:
    void SetUp() override
    {
        root.writeAccountFiles(basePasswd, baseGroup, baseShadow, baseGshadow);
    }

    void expectFilesUnchanged()
    {
        EXPECT_EQ(root.readFile("passwd"), basePasswd);
        EXPECT_EQ(root.readFile("group"), baseGroup);
        EXPECT_EQ(root.readFile("shadow"), baseShadow);
        EXPECT_EQ(root.readFile("gshadow"), baseGshadow);
        EXPECT_EQ(root.strayFiles(), "");
    }

    TempRoot root;
    AccountWriter writer{root.path()};
};

TEST_F(AccountWriterTest, AddsLockedAccountToAllFiles)
{
    writer.addAccounts({tenant("pactown_b4c9a289", 65536)});

    EXPECT_EQ(root.readFile("passwd"),
              basePasswd + "pactown_b4c9a289:x:65536:65536::/home/pactown_users/pactown_b4c9a289:/usr/sbin/nologin\n");
    EXPECT_EQ(root.readFile("group"), baseGroup + "pactown_b4c9a289:x:65536:\n");
    EXPECT_EQ(root.readFile("shadow"), baseShadow + "pactown_b4c9a289:!*:" + today() + "::::::\n");
    EXPECT_EQ(root.readFile("gshadow"), baseGshadow + "pactown_b4c9a289:!*::\n");
    EXPECT_EQ(root.strayFiles(), "");
}

TEST_F(AccountWriterTest, KeepsModesAndOwners)
{
    root.writeFile("passwd", basePasswd, 0664, 0, 4);
    writer.addAccounts({tenant("pactown_a", 65536)});

    EXPECT_EQ(root.statFile("passwd").st_mode & 07777, 0664u);
    EXPECT_EQ(root.statFile("passwd").st_gid, 4u);
    EXPECT_EQ(root.statFile("group").st_mode & 07777, 0644u);
    EXPECT_EQ(root.statFile("shadow").st_mode & 07777, 0640u);
    EXPECT_EQ(root.statFile("shadow").st_uid, 0u);
    EXPECT_EQ(root.statFile("shadow").st_gid, 42u);
    EXPECT_EQ(root.statFile("gshadow").st_mode & 07777, 0640u);
    EXPECT_EQ(root.statFile("gshadow").st_gid, 42u);
}

TEST_F(AccountWriterTest, KeepsUnchangedLinesByteForByte)
{
    const std::string passwd = "# managed by hand\n"
                               "root:x:0:0:root:/root:/bin/bash\n"
                               "\n"
                               "odd line that is no entry\n"
                               "+@netgroup::::::\n"
                               "+::::::";
    root.writeFile("passwd", passwd);
    writer.addAccounts({tenant("pactown_a", 65536)});

    EXPECT_EQ(root.readFile("passwd"), "# managed by hand\n"
                                       "root:x:0:0:root:/root:/bin/bash\n"
                                       "\n"
                                       "odd line that is no entry\n"
                                       "pactown_a:x:65536:65536::/home/pactown_users/pactown_a:/usr/sbin/nologin\n"
                                       "+@netgroup::::::\n"
                                       "+::::::");
}

TEST_F(AccountWriterTest, AppendsAfterLastLineWithoutNewline)
{
    root.writeFile("group", "root:x:0:\nshadow:x:42:");
    writer.addAccounts({tenant("pactown_a", 65536)});
    EXPECT_EQ(root.readFile("group"), "root:x:0:\nshadow:x:42:\npactown_a:x:65536:\n");
}

TEST_F(AccountWriterTest, WritesBackupOfOldContent)
{
    writer.addAccounts({tenant("pactown_a", 65536)});
    EXPECT_EQ(root.readFile("passwd-"), basePasswd);
    EXPECT_EQ(root.readFile("group-"), baseGroup);
    EXPECT_EQ(root.readFile("shadow-"), baseShadow);
    EXPECT_EQ(root.readFile("gshadow-"), baseGshadow);
    EXPECT_EQ(root.statFile("shadow-").st_mode & 07777, 0640u);
    EXPECT_EQ(root.statFile("shadow-").st_gid, 42u);
}

TEST_F(AccountWriterTest, AddsManyAccountsInOneUpdate)
{
    std::vector<NewAccount> accounts;
    for (uid_t i = 0; i < 2000; ++i)
        accounts.push_back(tenant("pactown_" + std::to_string(i), 65536 + i));
    writer.addAccounts(accounts);

    for (uid_t i : {0u, 999u, 1999u}) {
        auto user = writer.findUser("pactown_" + std::to_string(i));
        ASSERT_TRUE(user) << i;
        EXPECT_EQ(user->uid, 65536 + i);
        auto group = writer.findGroup("pactown_" + std::to_string(i));
        ASSERT_TRUE(group) << i;
        EXPECT_EQ(group->gid, 65536 + i);
        EXPECT_TRUE(group->members.empty());
    }
    // One update means one backup, which contains the files as they were before the batch.
    EXPECT_EQ(root.readFile("passwd-"), basePasswd);
}

TEST_F(AccountWriterTest, CreatesMissingShadowWithShadowGroup)
{
    std::filesystem::remove(root.etc() / "shadow");
    std::filesystem::remove(root.etc() / "gshadow");
    writer.addAccounts({tenant("pactown_a", 65536)});

    EXPECT_EQ(root.readFile("shadow"), "pactown_a:!*:" + today() + "::::::\n");
    EXPECT_EQ(root.statFile("shadow").st_mode & 07777, 0640u);
    EXPECT_EQ(root.statFile("shadow").st_uid, 0u);
    EXPECT_EQ(root.statFile("shadow").st_gid, 42u);
    EXPECT_EQ(root.statFile("gshadow").st_mode & 07777, 0640u);
    EXPECT_FALSE(root.exists("shadow-"));
}

TEST_F(AccountWriterTest, ConflictingNameLeavesFilesUnchanged)
{
    EXPECT_THROW(writer.addAccounts({tenant("pactown_a", 65536), tenant("daemon", 65537)}), AccountConflictError);
    expectFilesUnchanged();
    EXPECT_FALSE(root.exists("passwd-"));
}

TEST_F(AccountWriterTest, ConflictsOnGroupOrShadowOnlyName)
{
    EXPECT_THROW(writer.addAccounts({tenant("shadow", 65536)}), AccountConflictError);
    root.writeFile("gshadow", baseGshadow + "orphan:!*::\n", 0640, 0, 42);
    EXPECT_THROW(writer.addAccounts({tenant("orphan", 65536)}), AccountConflictError);
    EXPECT_EQ(root.readFile("passwd"), basePasswd);
}

TEST_F(AccountWriterTest, ConflictingIdsNameTheClash)
{
    try {
        writer.addAccounts({tenant("pactown_a", 1)});
        FAIL() << "UID 1 of daemon was accepted";
    } catch (const AccountConflictError& error) {
        EXPECT_STREQ(error.name(), "AccountConflict");
        EXPECT_NE(std::string(error.what()).find("cannot add account 'pactown_a': UID 1 belongs to user 'daemon'"),
                  std::string::npos)
            << error.what();
    }

    NewAccount gidTaken = tenant("pactown_b", 65536);
    gidTaken.gid = 42;
    EXPECT_THROW(writer.addAccounts({gidTaken}), AccountConflictError);
    expectFilesUnchanged();
}

TEST_F(AccountWriterTest, RejectsInvalidRequests)
{
    EXPECT_THROW(writer.addAccounts({tenant("Bad", 65536)}), InvalidArgumentError);
    EXPECT_THROW(writer.addAccounts({tenant("pactown_a", 65536), tenant("pactown_a", 65537)}), InvalidArgumentError);
    EXPECT_THROW(writer.addAccounts({tenant("pactown_a", 65536), tenant("pactown_b", 65536)}), InvalidArgumentError);

    NewAccount relativeHome = tenant("pactown_a", 65536);
    relativeHome.home = "home/a";
    EXPECT_THROW(writer.addAccounts({relativeHome}), InvalidArgumentError);

    NewAccount badGecos = tenant("pactown_a", 65536);
    badGecos.gecos = "a:b";
    EXPECT_THROW(writer.addAccounts({badGecos}), InvalidArgumentError);

    expectFilesUnchanged();
}

TEST_F(AccountWriterTest, RemovesAccountsFromAllFiles)
{
    writer.addAccounts({tenant("pactown_a", 65536), tenant("pactown_b", 65537)});
    writer.removeAccounts({"pactown_a", "pactown_absent"});

    EXPECT_FALSE(writer.findUser("pactown_a"));
    EXPECT_FALSE(writer.findGroup("pactown_a"));
    EXPECT_TRUE(writer.findUser("pactown_b"));
    EXPECT_EQ(root.readFile("shadow"), baseShadow + "pactown_b:!*:" + today() + "::::::\n");
    EXPECT_EQ(root.readFile("gshadow"), baseGshadow + "pactown_b:!*::\n");

    writer.removeAccounts({"pactown_b"});
    expectFilesUnchanged();
}

TEST_F(AccountWriterTest, RemovingMissingNameChangesNothing)
{
    EXPECT_NO_THROW(writer.removeAccounts({"pactown_absent"}));
    expectFilesUnchanged();
    EXPECT_FALSE(root.exists("passwd-"));
    EXPECT_THROW(writer.removeAccounts({"../root"}), InvalidArgumentError);
}

TEST_F(AccountWriterTest, FindsExistingEntries)
{
    auto daemon = writer.findUser("daemon");
    ASSERT_TRUE(daemon);
    EXPECT_EQ(daemon->uid, 1u);
    EXPECT_EQ(daemon->home, "/usr/sbin");
    EXPECT_FALSE(writer.findUser("nobody"));
    EXPECT_EQ(writer.findGroup("shadow")->gid, 42u);
}

int runTool(const std::string& command)
{
    int status = std::system(command.c_str());
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

// pwck and grpck of shadow-utils check the written files from inside the root (--root
// chroots), so the homes and the shell must exist there too.
TEST_F(AccountWriterTest, WrittenRootPassesPwckAndGrpck)
{
    ASSERT_EQ(runTool("command -v pwck >/dev/null && command -v grpck >/dev/null"), 0)
        << "pwck and grpck of shadow-utils (Debian package passwd) are needed for this test";
    for (const char* directory :
         {"root", "bin", "usr/sbin", "home/pactown_users/pactown_a", "home/pactown_users/pactown_b"})
        std::filesystem::create_directories(root.path() / directory);
    for (const char* program : {"bin/bash", "usr/sbin/nologin"}) {
        std::ofstream(root.path() / program).close();
        std::filesystem::permissions(root.path() / program, std::filesystem::perms::owner_all);
    }

    writer.addAccounts({tenant("pactown_a", 65536), tenant("pactown_b", 65537)});

    std::string rootArgument = "'" + root.path().string() + "'";
    EXPECT_EQ(runTool("pwck -r -R " + rootArgument), 0);
    EXPECT_EQ(runTool("grpck -r -R " + rootArgument), 0);
}

} // namespace
} // namespace pactown
