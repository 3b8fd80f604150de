#include "data/home_exporter.h"
#include "data/home_importer.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <pactown/errors.h>

#include "data/progress_reporter.h"
#include "data/unique_fd.h"
#include "data_test_support.h"

// ArchiveEntrySpec is filled with designated initializers that leave out the fields an entry
// type does not use; their defaults are meant.
#pragma GCC diagnostic ignored "-Wmissing-field-initializers"

namespace pactown {
namespace {

using test::TempTree;
using ::testing::Contains;
using ::testing::HasSubstr;
using ::testing::Not;

UniqueFd exportToMemory(const std::filesystem::path& home, const nlohmann::json& manifest,
                        const ProgressCallback& progress = {})
{
    UniqueFd fd(::memfd_create("export", MFD_CLOEXEC));
    exportHome(home, manifest, fd.get(), progress);
    ::lseek(fd.get(), 0, SEEK_SET);
    return fd;
}

// Exports one tenant's home and imports it as another tenant with another UID.
class HomeArchiveTest : public ::testing::Test {
protected:
    void SetUp() override
    {
        base = tree / "users";
        source = base / "pactown_source";
        target = base / "pactown_target";
        std::filesystem::create_directories(source / "sandboxes" / "web" / "static");
        std::filesystem::create_directories(source / ".config");
        ::chmod(source.c_str(), 0700);
    }

    void fillSource()
    {
        test::writeFile(source / "notes.txt", "hello\n", 0640);
        test::writeFile(source / "run.sh", "#!/bin/sh\necho hi\n", 0755);
        test::writeFile(source / "setuid", "binary", 04755);
        test::writeFile(source / "empty", "", 0600);
        test::writeFile(source / "sandboxes" / "web" / "static" / "index.html", std::string(300000, 'h'));
        test::writeFile(source / "caf\xc3\xa9", "utf-8 name");
        test::writeFile(source / "raw\xff", "invalid utf-8 name");
        std::filesystem::create_directory_symlink("sandboxes/web", source / "web");
        std::filesystem::create_symlink("/nonexistent/target", source / "dangling");
        std::filesystem::create_hard_link(source / "notes.txt", source / ".config" / "notes-link");
        std::filesystem::create_hard_link(source / "notes.txt", source / "sandboxes" / "notes-link");
        std::filesystem::create_directory(source / "readonly");
        test::writeFile(source / "readonly" / "kept", "kept");
        ::chmod((source / "readonly").c_str(), 0500);

        int fd = ::open((source / "sparse").c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
        ASSERT_GE(fd, 0);
        ASSERT_EQ(::pwrite(fd, "data", 4, 1 << 20), 4);
        ASSERT_EQ(::ftruncate(fd, 64 << 20), 0);
        ::close(fd);
    }

    TempTree tree;
    std::filesystem::path base, source, target;
    uid_t uid = test::unusedUid();
};

TEST_F(HomeArchiveTest, RoundTripKeepsFilesLinksAndModes)
{
    fillSource();
    UniqueFd archive = exportToMemory(source, {{"saas_user_id", "user:1"}});

    nlohmann::json manifest = importHome(archive.get(), base, target, uid, uid);

    EXPECT_EQ(manifest["saas_user_id"], "user:1");
    std::vector<std::string> expected = test::listTree(source, false);
    for (std::string& line : expected)
        if (line.rfind("setuid ", 0) == 0)
            line.replace(line.find("mode=4755"), 9, "mode=755");
    EXPECT_EQ(test::listTree(target, false), expected);
}

TEST_F(HomeArchiveTest, ImportedEntriesBelongToTargetUid)
{
    fillSource();
    UniqueFd archive = exportToMemory(source, nlohmann::json::object());

    importHome(archive.get(), base, target, uid, uid + 1);

    struct stat st {};
    ASSERT_EQ(::lstat(target.c_str(), &st), 0);
    EXPECT_EQ(st.st_uid, uid);
    EXPECT_EQ(st.st_gid, uid + 1);
    EXPECT_EQ(st.st_mode & 07777, 0700u);
    for (const auto& entry : std::filesystem::recursive_directory_iterator(target)) {
        ASSERT_EQ(::lstat(entry.path().c_str(), &st), 0);
        EXPECT_EQ(st.st_uid, uid) << entry.path();
        EXPECT_EQ(st.st_gid, uid + 1) << entry.path();
    }
}

TEST_F(HomeArchiveTest, HardLinksShareOneInodeAfterImport)
{
    fillSource();
    UniqueFd archive = exportToMemory(source, nlohmann::json::object());

    importHome(archive.get(), base, target, uid, uid);

    struct stat first {}, second {}, third {};
    ASSERT_EQ(::lstat((target / "notes.txt").c_str(), &first), 0);
    ASSERT_EQ(::lstat((target / ".config" / "notes-link").c_str(), &second), 0);
    ASSERT_EQ(::lstat((target / "sandboxes" / "notes-link").c_str(), &third), 0);
    EXPECT_EQ(first.st_ino, second.st_ino);
    EXPECT_EQ(first.st_ino, third.st_ino);
    EXPECT_EQ(first.st_nlink, 3u);
}

TEST_F(HomeArchiveTest, SparseFileStaysSparse)
{
    fillSource();
    UniqueFd archive = exportToMemory(source, nlohmann::json::object());
    struct stat archiveStat {};
    ASSERT_EQ(::fstat(archive.get(), &archiveStat), 0);

    importHome(archive.get(), base, target, uid, uid);

    struct stat st {};
    ASSERT_EQ(::lstat((target / "sparse").c_str(), &st), 0);
    EXPECT_EQ(st.st_size, 64 << 20);
    EXPECT_LT(static_cast<uint64_t>(st.st_blocks) * 512, 1u << 20);
    EXPECT_LT(archiveStat.st_size, 1 << 20);
}

TEST_F(HomeArchiveTest, ImportReplacesExistingHome)
{
    fillSource();
    std::filesystem::create_directories(target);
    test::writeFile(target / "old-file", "old");
    UniqueFd archive = exportToMemory(source, nlohmann::json::object());

    importHome(archive.get(), base, target, uid, uid);

    EXPECT_FALSE(std::filesystem::exists(target / "old-file"));
    EXPECT_TRUE(std::filesystem::exists(target / "notes.txt"));
    std::vector<std::string> left;
    for (const auto& entry : std::filesystem::directory_iterator(base))
        left.push_back(entry.path().filename().string());
    std::sort(left.begin(), left.end());
    EXPECT_EQ(left, (std::vector<std::string>{"pactown_source", "pactown_target"}));
}

TEST_F(HomeArchiveTest, ExportReportsProgressUpToTotal)
{
    fillSource();
    uint64_t lastDone = 0, lastTotal = 0;
    unsigned calls = 0;

    exportToMemory(source, nlohmann::json::object(), [&](uint64_t done, uint64_t total) {
        EXPECT_GE(done, lastDone);
        lastDone = done;
        lastTotal = total;
        calls++;
    });

    EXPECT_GE(calls, 2u);
    EXPECT_EQ(lastDone, lastTotal);
    EXPECT_GE(lastTotal, 64u << 20);
}

TEST_F(HomeArchiveTest, ImportReportsProgressOfArchiveBytes)
{
    fillSource();
    UniqueFd archive = exportToMemory(source, nlohmann::json::object());
    struct stat st {};
    ASSERT_EQ(::fstat(archive.get(), &st), 0);
    uint64_t lastDone = 0, lastTotal = 0;

    importHome(archive.get(), base, target, uid, uid, [&](uint64_t done, uint64_t total) {
        lastDone = done;
        lastTotal = total;
    });

    EXPECT_EQ(lastTotal, static_cast<uint64_t>(st.st_size));
    EXPECT_GT(lastDone, 0u);
    EXPECT_LE(lastDone, lastTotal);
}

TEST_F(HomeArchiveTest, ManifestComesFirst)
{
    fillSource();
    UniqueFd archive = exportToMemory(source, {{"linux_username", "pactown_source"}});

    std::vector<std::string> names = test::archiveNames(archive.get());

    ASSERT_FALSE(names.empty());
    EXPECT_EQ(names[0], "manifest.json");
    EXPECT_EQ(names[1], "home/");
}

TEST_F(HomeArchiveTest, ExportLeavesOutFifos)
{
    ASSERT_EQ(::mkfifo((source / "pipe").c_str(), 0600), 0);

    UniqueFd archive = exportToMemory(source, nlohmann::json::object());

    EXPECT_THAT(test::archiveNames(archive.get()), Not(Contains("home/pipe")));
}

// A tenant's links to the host's configuration and to another tenant's home.
class HomeArchiveLinkTest : public HomeArchiveTest {
protected:
    void SetUp() override
    {
        HomeArchiveTest::SetUp();
        standInEtc = tree / "etc";
        otherHome = base / "pactown_other";
        std::filesystem::create_directories(standInEtc);
        std::filesystem::create_directories(otherHome);
        test::writeFile(standInEtc / "canary", canary);
        test::writeFile(otherHome / "private", canary);
        std::filesystem::create_directory_symlink(standInEtc, source / "conf");
        std::filesystem::create_directory_symlink(otherHome, source / "other");
    }

    const std::string canary = "CANARY-3f9a1c-must-not-be-exported";
    std::filesystem::path standInEtc, otherHome;
};

TEST_F(HomeArchiveLinkTest, ExportStoresLinksWithoutReadingTargets)
{
    UniqueFd archive = exportToMemory(source, nlohmann::json::object());

    std::vector<std::string> names = test::archiveNames(archive.get());
    EXPECT_THAT(names, Contains("home/conf"));
    EXPECT_THAT(names, Contains("home/other"));
    EXPECT_THAT(names, Not(Contains("home/conf/canary")));
    EXPECT_THAT(names, Not(Contains("home/other/private")));
    EXPECT_THAT(test::decompressedArchive(archive.get()), Not(HasSubstr(canary)));
}

TEST_F(HomeArchiveLinkTest, ImportThroughExistingLinksWritesNothingOutside)
{
    std::vector<std::string> etcBefore = test::listTree(standInEtc);
    std::vector<std::string> otherBefore = test::listTree(otherHome);
    UniqueFd archive(test::memoryFile(test::buildArchive({
        {.name = "home/", .type = 'd', .mode = 0700},
        {.name = "home/conf/x", .content = "written"},
        {.name = "home/other/stolen", .content = "written"},
    })));

    importHome(archive.get(), base, source, uid, uid);

    EXPECT_EQ(test::listTree(standInEtc), etcBefore);
    EXPECT_EQ(test::listTree(otherHome), otherBefore);
    EXPECT_TRUE(std::filesystem::is_directory(std::filesystem::symlink_status(source / "conf")));
    EXPECT_TRUE(std::filesystem::is_regular_file(std::filesystem::symlink_status(source / "conf" / "x")));
}

// The walk holds the directory open, so the export goes on reading the moved directory and
// never the link that replaced it.
TEST_F(HomeArchiveLinkTest, ExportIgnoresDirectorySwappedForLink)
{
    std::filesystem::create_directories(source / "d" / "sub");
    test::writeFile(source / "d" / "big", std::string(2 * ProgressReporter::step, 'b'));
    test::writeFile(source / "d" / "sub" / "file", "tenant");
    test::writeFile(standInEtc / "sub", canary);
    bool swapped = false;

    UniqueFd archive = exportToMemory(source, nlohmann::json::object(), [&](uint64_t, uint64_t) {
        if (swapped)
            return;
        std::filesystem::rename(source / "d", source / "d.old");
        std::filesystem::create_directory_symlink(standInEtc, source / "d");
        swapped = true;
    });

    ASSERT_TRUE(swapped);
    EXPECT_THAT(test::archiveNames(archive.get()), Contains("home/d/sub/file"));
    EXPECT_THAT(test::decompressedArchive(archive.get()), Not(HasSubstr(canary)));
}

TEST_F(HomeArchiveLinkTest, ExportFailsForMissingHome)
{
    UniqueFd fd(::memfd_create("export", MFD_CLOEXEC));

    EXPECT_THROW(exportHome(base / "missing", nlohmann::json::object(), fd.get(), {}), SystemError);
}

} // namespace
} // namespace pactown
