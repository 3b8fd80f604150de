#include "data/home_importer.h"

#include <sys/stat.h>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <pactown/errors.h>

#include "data/unique_fd.h"
#include "data_test_support.h"

// ArchiveEntrySpec is filled with designated initializers that leave out the fields an entry
// type does not use; their defaults are meant.
#pragma GCC diagnostic ignored "-Wmissing-field-initializers"

namespace pactown {
namespace {

using test::ArchiveEntrySpec;
using test::TempTree;
using ::testing::HasSubstr;

// Imports archives built to escape the home into a tenant whose home already contains files. The
// tree is <tree>/users/pactown_victim, with stand-ins for /etc and another tenant beside it.
class HostileArchiveTest : public ::testing::Test {
protected:
    void SetUp() override
    {
        base = tree / "users";
        home = base / "pactown_victim";
        standInEtc = tree / "etc";
        std::filesystem::create_directories(home / "sandboxes" / "app");
        std::filesystem::create_directories(standInEtc / "cron.d");
        test::writeFile(home / "data.txt", "tenant data");
        test::writeFile(home / "sandboxes" / "app" / "main.py", "print('hi')");
        test::writeFile(standInEtc / "shadow", "root:*:19000::::::");
        ASSERT_EQ(::chown(home.c_str(), uid, uid), 0);
        ::chmod(home.c_str(), 0700);
        homeBefore = test::listTree(home);
        outsideBefore = test::listTree(tree.path());
    }

    // Imports `entries` and expects it to be rejected with nothing changed.
    void expectRejected(const std::vector<ArchiveEntrySpec>& entries, const std::string& messagePart)
    {
        expectRejectedBytes(test::buildArchive(entries), messagePart);
    }

    void expectRejectedBytes(const std::string& bytes, const std::string& messagePart)
    {
        UniqueFd fd(test::memoryFile(bytes));
        try {
            importHome(fd.get(), base, home, uid, uid);
            ADD_FAILURE() << "the archive was accepted";
        } catch (const UnsafeArchiveError& error) {
            EXPECT_THAT(error.what(), HasSubstr(messagePart));
        }
        expectNothingChanged();
    }

    void expectNothingChanged()
    {
        EXPECT_EQ(test::listTree(home), homeBefore);
        EXPECT_EQ(test::listTree(tree.path()), outsideBefore);
        EXPECT_FALSE(std::filesystem::exists(tree / "escape"));
        EXPECT_FALSE(std::filesystem::exists(std::filesystem::temp_directory_path() / "escape"));
        EXPECT_FALSE(std::filesystem::exists("/abs/file"));
    }

    static ArchiveEntrySpec homeRoot() { return {.name = "home/", .type = 'd', .mode = 0700}; }

    TempTree tree;
    std::filesystem::path base, home, standInEtc;
    std::vector<std::string> homeBefore, outsideBefore;
    uid_t uid = test::unusedUid();
};

TEST_F(HostileArchiveTest, RejectsParentComponents)
{
    expectRejected({homeRoot(), {.name = "../../escape", .content = "x"}}, "'..'");
    expectRejected({homeRoot(), {.name = "home/../../escape", .content = "x"}}, "'..'");
}

TEST_F(HostileArchiveTest, RejectsAbsoluteNames)
{
    expectRejected({homeRoot(), {.name = "/abs/file", .content = "x"}}, "absolute");
}

TEST_F(HostileArchiveTest, RejectsEntriesOutsideHome)
{
    expectRejected({homeRoot(), {.name = "etc/passwd", .content = "x"}}, "outside 'home/'");
}

TEST_F(HostileArchiveTest, RejectsWriteThroughLinkFromArchive)
{
    expectRejected({homeRoot(),
                    {.name = "home/a", .type = 'l', .link = (standInEtc / "cron.d").string()},
                    {.name = "home/a/evil", .content = "* * * * * root sh"}},
                   "'home/a' in its path");
    EXPECT_TRUE(std::filesystem::is_empty(standInEtc / "cron.d"));
}

TEST_F(HostileArchiveTest, RejectsFileReplacingLink)
{
    expectRejected({homeRoot(),
                    {.name = "home/x", .type = 'l', .link = (standInEtc / "shadow").string()},
                    {.name = "home/x", .content = "overwritten"}},
                   "replaces an earlier entry");
}

TEST_F(HostileArchiveTest, RejectsHardLinksOutsideArchive)
{
    expectRejected({homeRoot(), {.name = "home/shadow", .type = 'h', .link = "/etc/shadow"}}, "absolute");
    expectRejected({homeRoot(), {.name = "home/shadow", .type = 'h', .link = "../../etc/shadow"}}, "'..'");
    expectRejected({homeRoot(), {.name = "home/shadow", .type = 'h', .link = "home/not-yet"}},
                   "not an earlier regular file");
}

TEST_F(HostileArchiveTest, RejectsHardLinkToLink)
{
    expectRejected({homeRoot(),
                    {.name = "home/l", .type = 'l', .link = (standInEtc / "shadow").string()},
                    {.name = "home/h", .type = 'h', .link = "home/l"}},
                   "not an earlier regular file");
}

TEST_F(HostileArchiveTest, RejectsDevicesAndFifos)
{
    expectRejected({homeRoot(), {.name = "home/null", .type = 'c', .mode = 0666}, {.name = "home/after", .content = "x"}},
                   "device, FIFO or socket");
    expectRejected({homeRoot(), {.name = "home/pipe", .type = 'p', .mode = 0600}, {.name = "home/after", .content = "x"}},
                   "device, FIFO or socket");
}

TEST_F(HostileArchiveTest, RejectsTruncatedArchive)
{
    std::string content;
    for (int i = 0; i < 200000; ++i)
        content += std::to_string(i * 7919 % 104729);
    std::string bytes = test::buildArchive({homeRoot(), {.name = "home/big", .content = content}});

    expectRejectedBytes(bytes.substr(0, bytes.size() / 2), "cut short");
}

TEST_F(HostileArchiveTest, RejectsUncompressedTar)
{
    std::string bytes = test::buildArchive({homeRoot(), {.name = "home/file", .content = "x"}});
    UniqueFd compressed(test::memoryFile(bytes));

    expectRejectedBytes(test::decompressedArchive(compressed.get()), "not a gzip-compressed");
}

TEST_F(HostileArchiveTest, RejectsManifestThatIsNotJson)
{
    expectRejected({{.name = "manifest.json", .content = "{not json"}, homeRoot()}, "not a JSON object");
}

TEST_F(HostileArchiveTest, MasksSetuidRootFile)
{
    UniqueFd fd(test::memoryFile(test::buildArchive(
        {homeRoot(), {.name = "home/sh", .content = "#!/bin/sh\n", .mode = 04755, .uid = 0, .gid = 0}})));

    importHome(fd.get(), base, home, uid, uid);

    struct stat st {};
    ASSERT_EQ(::lstat((home / "sh").c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 07777, 0755u);
    EXPECT_EQ(st.st_uid, uid);
    EXPECT_EQ(st.st_gid, uid);
}

TEST_F(HostileArchiveTest, MasksSetgidAndStickyDirectories)
{
    UniqueFd fd(test::memoryFile(test::buildArchive({homeRoot(), {.name = "home/shared", .type = 'd', .mode = 03777}})));

    importHome(fd.get(), base, home, uid, uid);

    struct stat st {};
    ASSERT_EQ(::lstat((home / "shared").c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 07777, 0777u);
}

TEST_F(HostileArchiveTest, KeepsLinksToOutsideAsLinks)
{
    std::vector<std::string> etcBefore = test::listTree(standInEtc);
    UniqueFd fd(test::memoryFile(test::buildArchive(
        {homeRoot(), {.name = "home/etc", .type = 'l', .link = standInEtc.string()}})));

    importHome(fd.get(), base, home, uid, uid);

    EXPECT_EQ(std::filesystem::read_symlink(home / "etc"), standInEtc);
    EXPECT_EQ(test::listTree(standInEtc), etcBefore);
}

} // namespace
} // namespace pactown
