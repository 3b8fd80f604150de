#include "data/tenant_cleanup.h"

#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <sys/msg.h>
#include <sys/sem.h>
#include <sys/shm.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fstream>
#include <sstream>

#include <gtest/gtest.h>

#include "data_test_support.h"

namespace pactown {
namespace {

using test::TempTree;

// Stand-ins for /tmp and /var/tmp, sticky and world-writable like the real ones.
class TemporaryFilesTest : public ::testing::Test {
protected:
    void SetUp() override
    {
        tmp = tree / "tmp";
        varTmp = tree / "var-tmp";
        victim = tree / "victim";
        for (const auto& dir : {tmp, varTmp}) {
            std::filesystem::create_directory(dir);
            ::chmod(dir.c_str(), 01777);
        }
        std::filesystem::create_directory(victim);
        test::writeFile(victim / "keep", "keep");
        test::writeFile(tmp / "root-file", "root");
    }

    TempTree tree;
    std::filesystem::path tmp, varTmp, victim;
    uid_t uid = test::unusedUid();
};

TEST_F(TemporaryFilesTest, RemovesTenantEntriesAndKeepsOthers)
{
    int status = test::runAs(uid, uid, [&] {
        std::filesystem::create_directories(tmp / "tenant-dir" / "nested");
        test::writeFile(tmp / "tenant-dir" / "nested" / "file", "x");
        test::writeFile(varTmp / "tenant-file", "x");
        std::filesystem::create_directory_symlink(victim, tmp / "tenant-link");
        std::filesystem::create_directory_symlink(victim, tmp / "tenant-dir" / "inner-link");
        return true;
    });
    ASSERT_EQ(status, 0) << "the tenant process could not create its files";

    removeTemporaryFilesOf(uid, {tmp, varTmp, tree / "missing"});

    EXPECT_FALSE(std::filesystem::exists(std::filesystem::symlink_status(tmp / "tenant-dir")));
    EXPECT_FALSE(std::filesystem::exists(std::filesystem::symlink_status(tmp / "tenant-link")));
    EXPECT_FALSE(std::filesystem::exists(varTmp / "tenant-file"));
    EXPECT_TRUE(std::filesystem::exists(tmp / "root-file"));
    EXPECT_TRUE(std::filesystem::exists(victim / "keep"));
}

// Reads one /proc/sysvipc table into its rows of words.
std::vector<std::vector<std::string>> ipcRows(const std::string& table)
{
    std::ifstream stream("/proc/sysvipc/" + table);
    std::vector<std::vector<std::string>> rows;
    std::string line;
    std::getline(stream, line);
    while (std::getline(stream, line)) {
        std::istringstream words(line);
        rows.emplace_back(std::istream_iterator<std::string>(words), std::istream_iterator<std::string>());
    }
    return rows;
}

bool anyIpcRowMentions(uid_t uid)
{
    for (const char* table : {"shm", "sem", "msg"})
        for (const auto& row : ipcRows(table))
            for (const std::string& word : row)
                if (word == std::to_string(uid))
                    return true;
    return false;
}

// The objects live in an IPC namespace of this test process, so no other process's objects are
// ever in reach.
class IpcObjectsTest : public ::testing::Test {
protected:
    static void SetUpTestSuite() { ASSERT_EQ(::unshare(CLONE_NEWIPC), 0) << "unshare(CLONE_NEWIPC) needs root"; }

    uid_t uid = test::unusedUid();
};

TEST_F(IpcObjectsTest, RemovesObjectsOwnedOrCreatedByTenant)
{
    int status = test::runAs(uid, uid, [] {
        return ::shmget(IPC_PRIVATE, 4096, IPC_CREAT | 0600) >= 0 && ::semget(IPC_PRIVATE, 1, IPC_CREAT | 0600) >= 0 &&
               ::msgget(IPC_PRIVATE, IPC_CREAT | 0600) >= 0;
    });
    ASSERT_EQ(status, 0) << "the tenant process could not create its IPC objects";
    // Created by root and given to the tenant: its owner is the tenant.
    int handedOver = ::shmget(IPC_PRIVATE, 4096, IPC_CREAT | 0600);
    struct shmid_ds ds {};
    ASSERT_EQ(::shmctl(handedOver, IPC_STAT, &ds), 0);
    ds.shm_perm.uid = uid;
    ASSERT_EQ(::shmctl(handedOver, IPC_SET, &ds), 0);
    int rootOwned = ::shmget(IPC_PRIVATE, 4096, IPC_CREAT | 0600);
    int rootSemaphore = ::semget(IPC_PRIVATE, 1, IPC_CREAT | 0600);
    ASSERT_TRUE(anyIpcRowMentions(uid));

    removeIpcObjectsOf(uid);

    EXPECT_FALSE(anyIpcRowMentions(uid));
    EXPECT_EQ(::shmctl(rootOwned, IPC_STAT, &ds), 0) << "an object of root was removed";
    EXPECT_GE(::semctl(rootSemaphore, 0, GETVAL), 0) << "a semaphore of root was removed";
    ::shmctl(rootOwned, IPC_RMID, nullptr);
    ::semctl(rootSemaphore, 0, IPC_RMID);
}

// A process of the test UID that ignores SIGTERM and SIGHUP until it is killed.
class StubbornProcess {
public:
    explicit StubbornProcess(uid_t uid)
    {
        int ready[2];
        if (::pipe2(ready, O_CLOEXEC) != 0)
            return;
        pid_ = ::fork();
        if (pid_ == 0) {
            ::signal(SIGTERM, SIG_IGN);
            ::signal(SIGHUP, SIG_IGN);
            if (::setgid(uid) != 0 || ::setuid(uid) != 0)
                ::_exit(125);
            ::write(ready[1], "r", 1);
            for (;;)
                ::pause();
        }
        ::close(ready[1]);
        char byte = 0;
        started_ = pid_ > 0 && ::read(ready[0], &byte, 1) == 1;
        ::close(ready[0]);
    }

    ~StubbornProcess()
    {
        if (pid_ > 0 && !reaped_) {
            ::kill(pid_, SIGKILL);
            ::waitpid(pid_, nullptr, 0);
        }
    }

    bool started() const { return started_; }

    int reap()
    {
        int status = 0;
        ::waitpid(pid_, &status, 0);
        reaped_ = true;
        return status;
    }

    pid_t pid() const { return pid_; }

private:
    pid_t pid_ = -1;
    bool started_ = false;
    bool reaped_ = false;
};

class ProcessWaitTest : public ::testing::Test {
protected:
    uid_t uid = test::unusedUid();
};

TEST_F(ProcessWaitTest, ReportsProcessThatIsStillRunning)
{
    StubbornProcess process(uid);
    ASSERT_TRUE(process.started());

    EXPECT_FALSE(waitUntilNoProcessesOf(uid, std::chrono::milliseconds(50), false));
}

TEST_F(ProcessWaitTest, KillsProcessThatIgnoresTermAndHup)
{
    StubbornProcess process(uid);
    ASSERT_TRUE(process.started());
    ::kill(process.pid(), SIGTERM);
    ::kill(process.pid(), SIGHUP);

    EXPECT_TRUE(waitUntilNoProcessesOf(uid, std::chrono::milliseconds(50), true));

    int status = process.reap();
    ASSERT_TRUE(WIFSIGNALED(status));
    EXPECT_EQ(WTERMSIG(status), SIGKILL);
}

TEST_F(ProcessWaitTest, KillsAtOnceWithZeroTimeout)
{
    StubbornProcess process(uid);
    ASSERT_TRUE(process.started());

    EXPECT_TRUE(waitUntilNoProcessesOf(uid, std::chrono::milliseconds(0), true));

    int status = process.reap();
    ASSERT_TRUE(WIFSIGNALED(status));
    EXPECT_EQ(WTERMSIG(status), SIGKILL);
}

TEST_F(ProcessWaitTest, ReturnsAtOnceWithoutProcesses)
{
    EXPECT_TRUE(waitUntilNoProcessesOf(uid, std::chrono::milliseconds(0), false));
}

} // namespace
} // namespace pactown
