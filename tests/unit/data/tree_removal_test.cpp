#include "data/tree_removal.h"

#include <sched.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <pactown/errors.h>

#include "data_test_support.h"

namespace pactown {
namespace {

using test::TempTree;

class TreeRemovalTest : public ::testing::Test {
protected:
    void SetUp() override
    {
        victim = tree / "victim";
        doomed = tree / "doomed";
        std::filesystem::create_directories(victim);
        std::filesystem::create_directories(doomed / "sub");
        test::writeFile(victim / "keep", "keep");
        test::writeFile(doomed / "sub" / "file", "gone");
    }

    TempTree tree;
    std::filesystem::path victim, doomed;
};

TEST_F(TreeRemovalTest, RemovesLinksButNotTheirTargets)
{
    std::filesystem::create_directory_symlink(victim, doomed / "to-dir");
    std::filesystem::create_symlink(victim / "keep", doomed / "sub" / "to-file");

    removeTree(doomed);

    EXPECT_FALSE(std::filesystem::exists(std::filesystem::symlink_status(doomed)));
    EXPECT_TRUE(std::filesystem::exists(victim / "keep"));
}

TEST_F(TreeRemovalTest, RemovesModeZeroDirectories)
{
    ::chmod((doomed / "sub").c_str(), 0);

    removeTree(doomed);

    EXPECT_FALSE(std::filesystem::exists(doomed));
}

TEST_F(TreeRemovalTest, RemovesTreesDeeperThanDescriptorWindow)
{
    std::filesystem::path current = doomed;
    for (int i = 0; i < 500; ++i)
        current /= "d";
    std::filesystem::create_directories(current);
    test::writeFile(current / "bottom", "b");

    removeTree(doomed);

    EXPECT_FALSE(std::filesystem::exists(doomed));
}

TEST_F(TreeRemovalTest, RemovesSingleLinkItself)
{
    std::filesystem::create_directory_symlink(victim, tree / "link");

    removeTree(tree / "link");

    EXPECT_FALSE(std::filesystem::exists(std::filesystem::symlink_status(tree / "link")));
    EXPECT_TRUE(std::filesystem::exists(victim / "keep"));
}

TEST_F(TreeRemovalTest, IgnoresMissingPath)
{
    EXPECT_NO_THROW(removeTree(tree / "missing"));
    EXPECT_NO_THROW(removeTree(tree / "missing" / "below"));
}

// The mount lives in a mount namespace of a child process, so the host's mounts never change.
TEST_F(TreeRemovalTest, KeepsOtherFilesystemsAndReportsThem)
{
    std::filesystem::create_directories(doomed / "mnt");

    int status = test::runAs(0, 0, [&] {
        if (::unshare(CLONE_NEWNS) != 0 || ::mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) != 0 ||
            ::mount("tmpfs", (doomed / "mnt").c_str(), "tmpfs", 0, "size=1m") != 0)
            return false;
        test::writeFile(doomed / "mnt" / "on-tmpfs", "kept");
        try {
            removeTree(doomed);
            return false;
        } catch (const SystemError& error) {
            return std::string(error.what()).find("mount point") != std::string::npos &&
                   std::filesystem::exists(doomed / "mnt" / "on-tmpfs") && !std::filesystem::exists(doomed / "sub");
        }
    });

    EXPECT_EQ(status, 0) << "removeTree entered the tmpfs, removed it, or did not report it";
}

} // namespace
} // namespace pactown
