#include "data/disk_usage.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include "data_test_support.h"

namespace pactown {
namespace {

using test::TempTree;

constexpr uint64_t gibibyte = 1024ull * 1024 * 1024;

// A home that a hostile tenant could build: one file under 100 names, links to itself and to
// the root directory, a 1 GiB sparse file with 4 KiB written, and directories of mode 000.
class DiskUsageTest : public ::testing::Test {
protected:
    void SetUp() override
    {
        home = tree / "home";
        std::filesystem::create_directory(home);
        test::writeFile(home / "linked", std::string(8192, 'x'));
        for (int i = 1; i < 100; ++i)
            std::filesystem::create_hard_link(home / "linked", home / ("link" + std::to_string(i)));
        std::filesystem::create_directory_symlink(".", home / "loop");
        std::filesystem::create_directory_symlink("/", home / "root");

        int fd = ::open((home / "sparse").c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
        ASSERT_GE(fd, 0);
        std::string block(4096, 'd');
        ASSERT_EQ(::pwrite(fd, block.data(), block.size(), 512 * 1024 * 1024), 4096);
        ASSERT_EQ(::ftruncate(fd, static_cast<off_t>(gibibyte)), 0);
        ::close(fd);

        std::filesystem::create_directory(home / "rootlocked");
        test::writeFile(home / "rootlocked" / "inside", "secret");
        ::chmod((home / "rootlocked").c_str(), 0);
        std::filesystem::create_directory(home / "tenantlocked");
        ASSERT_EQ(::chown((home / "tenantlocked").c_str(), uid, uid), 0);
        ::chmod((home / "tenantlocked").c_str(), 0);
    }

    TempTree tree;
    std::filesystem::path home;
    uid_t uid = test::unusedUid();
};

TEST_F(DiskUsageTest, CountsHardLinkedFileOnce)
{
    DiskUsage usage = measureDiskUsage(home);

    // linked (100 names), loop, root, sparse, rootlocked/inside.
    EXPECT_EQ(usage.files, 5u);
    EXPECT_EQ(usage.directories, 3u);
    struct stat st {};
    ASSERT_EQ(::stat((home / "linked").c_str(), &st), 0);
    EXPECT_LT(usage.allocatedBytes, 100u * static_cast<uint64_t>(st.st_blocks) * 512);
}

TEST_F(DiskUsageTest, ReportsAllocatedRatherThanApparentSize)
{
    DiskUsage usage = measureDiskUsage(home);

    EXPECT_GE(usage.apparentBytes, gibibyte);
    EXPECT_LT(usage.allocatedBytes, 16u * 1024 * 1024);
    EXPECT_GE(usage.allocatedBytes, 8192u + 4096u);
}

TEST_F(DiskUsageTest, ReadsModeZeroDirectoriesAsRoot)
{
    ASSERT_EQ(::geteuid(), 0u) << "this test needs root, which reads directories of mode 000";

    DiskUsage usage = measureDiskUsage(home);

    EXPECT_TRUE(usage.unreadable.empty());
}

// Root reads directories of any mode, so the unreadable case is measured by a child process
// running as the unprivileged owner of one of them.
TEST_F(DiskUsageTest, ReportsUnreadableDirectoriesWithoutFailing)
{
    std::vector<std::string> expected{"rootlocked", "tenantlocked"};

    int status = test::runAs(uid, uid, [&] {
        DiskUsage usage = measureDiskUsage(home);
        std::sort(usage.unreadable.begin(), usage.unreadable.end());
        return usage.unreadable == expected && usage.files == 4 && usage.directories == 3;
    });

    EXPECT_EQ(status, 0) << "the unprivileged measurement did not list exactly " << ::testing::PrintToString(expected);
}

TEST_F(DiskUsageTest, DoesNotFollowLinkToRoot)
{
    DiskUsage usage = measureDiskUsage(home);

    // Following 'root' would count the whole host, far more than the 8 KiB file and 4 KiB block.
    EXPECT_LT(usage.allocatedBytes, 16u * 1024 * 1024);
}

TEST_F(DiskUsageTest, EntersDeepTreesBeyondDescriptorWindow)
{
    std::filesystem::path deep = home / "deep";
    std::filesystem::path current = deep;
    for (int i = 0; i < 300; ++i)
        current /= "d";
    std::filesystem::create_directories(current);
    test::writeFile(current / "bottom", "b");

    DiskUsage usage = measureDiskUsage(home);

    EXPECT_EQ(usage.directories, 3u + 301u);
    EXPECT_EQ(usage.files, 6u);
}

class CountSandboxesTest : public ::testing::Test {
protected:
    TempTree tree;
};

TEST_F(CountSandboxesTest, CountsDirectoriesButNotLinks)
{
    std::filesystem::create_directories(tree / "sandboxes" / "one");
    std::filesystem::create_directories(tree / "sandboxes" / "two");
    test::writeFile(tree / "sandboxes" / "file", "");
    std::filesystem::create_directory_symlink("/", tree / "sandboxes" / "link");

    EXPECT_EQ(countSandboxes(tree.path()), 2u);
}

TEST_F(CountSandboxesTest, ReturnsZeroWithoutSandboxesDirectory)
{
    EXPECT_EQ(countSandboxes(tree.path()), 0u);
}

TEST_F(CountSandboxesTest, ReturnsZeroWhenSandboxesIsLink)
{
    std::filesystem::create_directories(tree / "elsewhere" / "one");
    std::filesystem::create_directory_symlink(tree / "elsewhere", tree / "sandboxes");

    EXPECT_EQ(countSandboxes(tree.path()), 0u);
}

} // namespace
} // namespace pactown
