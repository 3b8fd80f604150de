#include "accounts/account_lock.h"

#include <pactown/errors.h>

#include <cerrno>
#include <charconv>
#include <fcntl.h>
#include <signal.h>
#include <spdlog/spdlog.h>
#include <string>
#include <sys/stat.h>
#include <thread>
#include <unistd.h>

namespace pactown {

namespace {

using Clock = std::chrono::steady_clock;

// Waits between attempts grow from 1 ms to 50 ms: short enough to follow a quick useradd,
// long enough not to spin while a slow one holds the lock.
class Backoff {
public:
    void wait()
    {
        std::this_thread::sleep_for(delay_);
        delay_ = std::min(delay_ * 2, std::chrono::milliseconds(50));
    }

private:
    std::chrono::milliseconds delay_{1};
};

std::string quotePath(const std::filesystem::path& path)
{
    return "'" + path.string() + "'";
}

// Writes "<pid>\0", the content shadow-utils writes, to `path` and syncs it.
void writePidFile(const std::filesystem::path& path)
{
    int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (fd < 0)
        throwSystemError("failed to create lock file " + quotePath(path), errno);

    std::string content = std::to_string(::getpid());
    content.push_back('\0');
    bool written = ::write(fd, content.data(), content.size()) == static_cast<ssize_t>(content.size());
    int error = errno;
    if (written && ::fdatasync(fd) != 0) {
        written = false;
        error = errno;
    }
    ::close(fd);
    if (!written) {
        ::unlink(path.c_str());
        throwSystemError("failed to write lock file " + quotePath(path), error);
    }
}

// Reads the PID from a shadow-utils lock file. Returns 0 if the file is gone.
// Throws SystemError if the file contains no valid PID.
pid_t readLockOwner(const std::filesystem::path& lock)
{
    int fd = ::open(lock.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0)
        return 0;
    char buffer[32];
    ssize_t length = ::read(fd, buffer, sizeof(buffer) - 1);
    ::close(fd);

    // The content is "<pid>" followed by NUL (shadow-utils 4.x) or a newline (older tools).
    std::string_view text(buffer, length > 0 ? static_cast<size_t>(length) : 0);
    text = text.substr(0, text.find_first_of(std::string_view("\0\n", 2)));
    pid_t pid = 0;
    auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), pid);
    if (text.empty() || error != std::errc() || end != text.data() + text.size() || pid <= 0) {
        throw SystemError("lock file " + quotePath(lock) +
                          " holds no valid PID; remove it if no account tool is running");
    }
    return pid;
}

// NOTE: a PID is looked up in this process's PID namespace, so a lock file written from
// another PID namespace sharing these files looks stale. shadow-utils has the same limit.
bool isProcessAlive(pid_t pid)
{
    return ::kill(pid, 0) == 0 || errno == EPERM;
}

// Links `pidFile` to `lock`. Like shadow-utils, it trusts the link only if the link count of
// `pidFile` is then 2, in case a file system reports a link that it did not make.
bool linkLock(const std::filesystem::path& pidFile, const std::filesystem::path& lock)
{
    if (::link(pidFile.c_str(), lock.c_str()) != 0) {
        if (errno == EEXIST)
            return false;
        throwSystemError("failed to create lock file " + quotePath(lock), errno);
    }
    struct stat status {};
    return ::stat(pidFile.c_str(), &status) == 0 && status.st_nlink == 2;
}

// Makes one attempt at a shadow-utils lock file and returns whether it is now ours.
bool tryLockFile(const std::filesystem::path& pidFile, const std::filesystem::path& lock)
{
    if (linkLock(pidFile, lock))
        return true;

    pid_t owner = readLockOwner(lock);
    if (owner == 0 || isProcessAlive(owner))
        return false;

    spdlog::debug("removing stale lock file '{}' of PID {}", lock.string(), owner);
    if (::unlink(lock.c_str()) != 0 && errno != ENOENT)
        throwSystemError("failed to remove stale lock file " + quotePath(lock), errno);
    return linkLock(pidFile, lock);
}

} // namespace

AccountLock::AccountLock(const std::filesystem::path& root, std::chrono::milliseconds timeout)
{
    const auto deadline = Clock::now() + timeout;
    const auto etc = root / "etc";
    try {
        lockPasswordLockFile(etc, deadline);
        for (const char* name : {"passwd", "shadow", "group", "gshadow"})
            lockAccountFile(etc / name, deadline);
    } catch (...) {
        release();
        throw;
    }
}

AccountLock::~AccountLock()
{
    release();
}

// An open file description lock (F_OFD_SETLK) conflicts with the process-associated lock of
// lckpwdf() and sysusers, and unlike that lock it also excludes other threads of this
// process and is not dropped when some other descriptor of the file is closed. It is
// polled because a blocking F_OFD_SETLKW can only be cut short by a signal, and a library
// cannot own a signal handler.
void AccountLock::lockPasswordLockFile(const std::filesystem::path& etc, Clock::time_point deadline)
{
    const auto path = etc / ".pwd.lock";
    passwordLockFd_ = ::open(path.c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
    if (passwordLockFd_ < 0)
        throwSystemError("failed to open " + quotePath(path), errno);

    struct flock lock {};
    lock.l_type = F_WRLCK;
    lock.l_whence = SEEK_SET;
    for (Backoff backoff;; backoff.wait()) {
        if (::fcntl(passwordLockFd_, F_OFD_SETLK, &lock) == 0)
            return;
        if (errno != EAGAIN && errno != EACCES)
            throwSystemError("failed to lock " + quotePath(path), errno);
        if (Clock::now() >= deadline)
            throw SystemError("timed out waiting for the lock on " + quotePath(path) +
                              " because another process is changing the account files; retry later");
    }
}

void AccountLock::lockAccountFile(const std::filesystem::path& file, Clock::time_point deadline)
{
    const std::filesystem::path lock = file.string() + ".lock";
    const std::filesystem::path pidFile = file.string() + "." + std::to_string(::getpid());

    writePidFile(pidFile);
    try {
        for (Backoff backoff; !tryLockFile(pidFile, lock); backoff.wait()) {
            if (Clock::now() >= deadline)
                throw SystemError("timed out waiting for lock file " + quotePath(lock) +
                                  " because another process is changing the account files; retry later");
        }
    } catch (...) {
        ::unlink(pidFile.c_str());
        throw;
    }
    ::unlink(pidFile.c_str());
    lockFiles_.push_back(lock);
}

void AccountLock::release() noexcept
{
    for (auto it = lockFiles_.rbegin(); it != lockFiles_.rend(); ++it)
        ::unlink(it->c_str());
    lockFiles_.clear();

    if (passwordLockFd_ >= 0) {
        ::close(passwordLockFd_);
        passwordLockFd_ = -1;
    }
}

} // namespace pactown
