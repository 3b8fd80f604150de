#include "accounts/account_lock.h"

#include <pactown/errors.h>

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/inotify.h>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>

#include "accounts/account_writer.h"
#include "temp_root.h"

namespace pactown {
namespace {

using namespace std::chrono_literals;
using test::TempRoot;

// A child process that holds a process-associated write lock (F_SETLK, as glibc's lckpwdf()
// and systemd-sysusers take it) on a file until release() or destruction.
class ChildLockHolder {
public:
    explicit ChildLockHolder(const std::filesystem::path& path)
    {
        int toChild[2];
        int fromChild[2];
        if (::pipe2(toChild, O_CLOEXEC) != 0 || ::pipe2(fromChild, O_CLOEXEC) != 0)
            throw std::runtime_error("pipe2 failed");

        pid_ = ::fork();
        if (pid_ < 0)
            throw std::runtime_error("fork failed");
        if (pid_ == 0) {
            ::close(toChild[1]);
            ::close(fromChild[0]);
            holdLock(path.c_str(), toChild[0], fromChild[1]);
        }

        ::close(toChild[0]);
        ::close(fromChild[1]);
        release_ = toChild[1];
        char result = 0;
        bool locked = ::read(fromChild[0], &result, 1) == 1 && result == 'L';
        ::close(fromChild[0]);
        if (!locked)
            throw std::runtime_error("the child could not lock " + path.string());
    }

    ~ChildLockHolder() { release(); }

    pid_t pid() const { return pid_; }

    void release()
    {
        if (release_ < 0)
            return;
        ::close(release_);
        release_ = -1;
        ::waitpid(pid_, nullptr, 0);
    }

private:
    // Runs in the child: only async-signal-safe calls, then _exit, which drops the lock.
    [[noreturn]] static void holdLock(const char* path, int releaseFd, int reportFd)
    {
        int fd = ::open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
        struct flock lock {};
        lock.l_type = F_WRLCK;
        lock.l_whence = SEEK_SET;
        char result = fd >= 0 && ::fcntl(fd, F_SETLK, &lock) == 0 ? 'L' : 'E';
        (void)!::write(reportFd, &result, 1);
        char ignored;
        (void)!::read(releaseFd, &ignored, 1);
        ::_exit(0);
    }

    pid_t pid_ = -1;
    int release_ = -1;
};

// Waits up to `deadline` for an inotify event on `fd`; the deadline only bounds a failing test.
bool waitForEvent(int fd, std::chrono::milliseconds deadline)
{
    struct pollfd pollFd {fd, POLLIN, 0};
    return ::poll(&pollFd, 1, static_cast<int>(deadline.count())) == 1;
}

class AccountLockTest : public ::testing::Test {
protected:
    void SetUp() override
    {
        root.writeFile("passwd", "root:x:0:0::/root:/bin/sh\n");
        root.writeFile("group", "root:x:0:\n");
        root.writeFile("shadow", "root:*:19000::::::\n", 0640);
        root.writeFile("gshadow", "root:*::\n", 0640);
    }

    TempRoot root;
};

TEST_F(AccountLockTest, CreatesShadowUtilsLockFilesWithPid)
{
    {
        AccountLock lock(root.path());
        std::string expected = std::to_string(::getpid()) + std::string(1, '\0');
        for (const char* name : {"passwd.lock", "shadow.lock", "group.lock", "gshadow.lock"})
            EXPECT_EQ(root.readFile(name), expected) << name;
        EXPECT_EQ(root.statFile(".pwd.lock").st_mode & 07777, 0600u);
    }
    for (const char* name : {"passwd.lock", "shadow.lock", "group.lock", "gshadow.lock"})
        EXPECT_FALSE(root.exists(name)) << name;
    EXPECT_EQ(root.strayFiles(), "");
}

TEST_F(AccountLockTest, ExcludesOtherThreadsOfSameProcess)
{
    AccountLock first(root.path());
    EXPECT_THROW(AccountLock(root.path(), 20ms), SystemError);
}

TEST_F(AccountLockTest, TimesOutWhileOtherProcessHoldsPwdLock)
{
    ChildLockHolder holder(root.etc() / ".pwd.lock");
    try {
        AccountLock lock(root.path(), 20ms);
        FAIL() << "the lock was taken while another process held .pwd.lock";
    } catch (const SystemError& error) {
        EXPECT_NE(std::string(error.what()).find("timed out waiting for the lock on"), std::string::npos)
            << error.what();
    }
    EXPECT_FALSE(root.exists("passwd.lock"));
}

TEST_F(AccountLockTest, WriterWaitsUntilPwdLockIsReleased)
{
    ChildLockHolder holder(root.etc() / ".pwd.lock");
    int inotifyFd = ::inotify_init1(IN_CLOEXEC | IN_NONBLOCK);
    ASSERT_GE(inotifyFd, 0);
    ASSERT_GE(::inotify_add_watch(inotifyFd, (root.etc() / ".pwd.lock").c_str(), IN_OPEN), 0);

    std::atomic<bool> written = false;
    std::thread writerThread([&] {
        AccountWriter(root.path()).addAccounts({{"pactown_a", 65536, 65536, "", "/home/pactown_a"}});
        written = true;
    });

    // The writer has opened .pwd.lock, so it is at the lock, and it must not get past it.
    EXPECT_TRUE(waitForEvent(inotifyFd, 10s)) << "the writer never opened .pwd.lock";
    EXPECT_FALSE(written);
    EXPECT_EQ(root.readFile("passwd"), "root:x:0:0::/root:/bin/sh\n");

    holder.release();
    writerThread.join();
    EXPECT_TRUE(written);
    EXPECT_NE(root.readFile("passwd").find("pactown_a:x:65536:"), std::string::npos);
    ::close(inotifyFd);
}

TEST_F(AccountLockTest, WriterWaitsForShadowUtilsLockFile)
{
    // A live process (the child) owns passwd.lock, as useradd --prefix would.
    ChildLockHolder liveProcess(root.path() / "unrelated-lock");
    root.writeFile("passwd.lock", std::to_string(liveProcess.pid()) + std::string(1, '\0'), 0600);
    root.writeFile(".pwd.lock", "", 0600);

    int inotifyFd = ::inotify_init1(IN_CLOEXEC | IN_NONBLOCK);
    ASSERT_GE(inotifyFd, 0);
    ASSERT_GE(::inotify_add_watch(inotifyFd, root.etc().c_str(), IN_CREATE), 0);

    std::atomic<bool> written = false;
    std::thread writerThread([&] {
        AccountWriter(root.path()).addAccounts({{"pactown_a", 65536, 65536, "", "/home/pactown_a"}});
        written = true;
    });

    // The writer creates passwd.<pid> just before it tries to link it to passwd.lock.
    EXPECT_TRUE(waitForEvent(inotifyFd, 10s)) << "the writer never reached the lock files";
    EXPECT_FALSE(written);
    EXPECT_EQ(root.readFile("passwd"), "root:x:0:0::/root:/bin/sh\n");

    std::filesystem::remove(root.etc() / "passwd.lock");
    writerThread.join();
    EXPECT_TRUE(written);
    EXPECT_NE(root.readFile("passwd").find("pactown_a:x:65536:"), std::string::npos);
    ::close(inotifyFd);
}

TEST_F(AccountLockTest, TimesOutOnLockFileOfLiveProcess)
{
    ChildLockHolder liveProcess(root.path() / "unrelated-lock");
    std::string content = std::to_string(liveProcess.pid()) + std::string(1, '\0');
    root.writeFile("group.lock", content, 0600);

    EXPECT_THROW(AccountLock(root.path(), 20ms), SystemError);
    EXPECT_EQ(root.readFile("group.lock"), content);
    EXPECT_FALSE(root.exists("passwd.lock"));
    EXPECT_FALSE(root.exists("shadow.lock"));
}

TEST_F(AccountLockTest, ReplacesStaleLockFileOfDeadProcess)
{
    pid_t deadPid = 0;
    {
        ChildLockHolder exited(root.path() / "unrelated-lock");
        deadPid = exited.pid();
    }
    ASSERT_NE(::kill(deadPid, 0), 0) << "PID " << deadPid << " is still alive";
    root.writeFile("shadow.lock", std::to_string(deadPid) + "\n", 0600);

    {
        AccountLock lock(root.path(), 5s);
        EXPECT_EQ(root.readFile("shadow.lock"), std::to_string(::getpid()) + std::string(1, '\0'));
    }
    EXPECT_FALSE(root.exists("shadow.lock"));
}

TEST_F(AccountLockTest, RejectsLockFileWithoutPid)
{
    root.writeFile("gshadow.lock", "garbage", 0600);
    try {
        AccountLock lock(root.path(), 5s);
        FAIL() << "a lock file without a PID was replaced";
    } catch (const SystemError& error) {
        EXPECT_NE(std::string(error.what()).find("holds no valid PID"), std::string::npos) << error.what();
    }
    EXPECT_EQ(root.readFile("gshadow.lock"), "garbage");
    EXPECT_EQ(root.strayFiles(), "gshadow.lock ");
}

TEST_F(AccountLockTest, FailsWithoutEtcDirectory)
{
    std::filesystem::remove_all(root.etc());
    EXPECT_THROW(AccountLock(root.path(), 20ms), SystemError);
}

} // namespace
} // namespace pactown
