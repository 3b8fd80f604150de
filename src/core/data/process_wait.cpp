#include "data/tenant_cleanup.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>
#include <string>

#include <spdlog/spdlog.h>

#include <pactown/errors.h>

#include "data/fd_paths.h"
#include "data/unique_fd.h"

namespace pactown {
namespace {

using Clock = std::chrono::steady_clock;

// A process is not woken when another one forks, so the scan repeats at least this often.
constexpr std::chrono::milliseconds rescanInterval{100};
// Killed processes are waited for at least this long, even after a timeout of zero: SIGKILL
// takes effect at the process's next return to user space, not at once.
constexpr std::chrono::milliseconds minimumKillWait{1000};

// Whether /proc/<pid>/status shows a live process with uid among its real, effective, saved
// or filesystem UIDs. A zombie with one thread has exited; a zombie leader whose other
// threads still run has not.
bool isLiveProcessOf(const std::string& pid, uid_t uid)
{
    std::ifstream status("/proc/" + pid + "/status");
    bool zombie = false, owned = false;
    long threads = 1;
    for (std::string line; std::getline(status, line);) {
        std::istringstream fields(line);
        std::string key;
        fields >> key;
        if (key == "State:") {
            std::string state;
            fields >> state;
            zombie = state == "Z";
        } else if (key == "Threads:") {
            fields >> threads;
        } else if (key == "Uid:") {
            for (unsigned long id; fields >> id;)
                owned = owned || id == uid;
        }
    }
    return owned && !(zombie && threads <= 1);
}

std::vector<pid_t> processesOf(uid_t uid)
{
    UniqueFd procFd(::open("/proc", O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    std::vector<std::string> names;
    if (!procFd || !listDirectory(procFd.get(), names))
        throwSystemError("cannot list the processes in /proc", errno);

    std::vector<pid_t> pids;
    for (const std::string& name : names) {
        if (name.empty() || !std::all_of(name.begin(), name.end(), [](char c) { return c >= '0' && c <= '9'; }))
            continue;
        if (isLiveProcessOf(name, uid))
            pids.push_back(static_cast<pid_t>(std::atol(name.c_str())));
    }
    return pids;
}

// A pidfd of pid, checked after opening to still be a process of uid: a PID that was reused
// between the scan and the open then yields no descriptor.
UniqueFd openProcessOf(pid_t pid, uid_t uid)
{
    UniqueFd fd(static_cast<int>(::syscall(SYS_pidfd_open, pid, 0)));
    if (fd && !isLiveProcessOf(std::to_string(pid), uid))
        fd.reset();
    return fd;
}

// Waits until one of the pidfds reports its process gone, the rescan interval passes or the
// deadline comes.
void waitForAnExit(const std::vector<UniqueFd>& pidfds, Clock::time_point deadline)
{
    std::vector<struct pollfd> polls;
    for (const UniqueFd& fd : pidfds)
        polls.push_back({fd.get(), POLLIN, 0});
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
    auto wait = std::clamp(left, std::chrono::milliseconds(0), rescanInterval);
    ::poll(polls.data(), polls.size(), static_cast<int>(wait.count()));
}

// Returns whether no process of uid is left by the deadline; with kill, each scan also sends
// SIGKILL to every process it finds.
bool waitUntilGone(uid_t uid, Clock::time_point deadline, bool kill)
{
    for (;;) {
        std::vector<pid_t> pids = processesOf(uid);
        if (pids.empty())
            return true;
        if (!kill && Clock::now() >= deadline)
            return false;

        std::vector<UniqueFd> pidfds;
        for (pid_t pid : pids) {
            UniqueFd fd = openProcessOf(pid, uid);
            if (!fd)
                continue;
            if (kill && ::syscall(SYS_pidfd_send_signal, fd.get(), SIGKILL, nullptr, 0) != 0 && errno != ESRCH)
                spdlog::debug("cannot kill process {} of uid {}: {}", pid, uid, std::strerror(errno));
            pidfds.push_back(std::move(fd));
        }
        if (kill && Clock::now() >= deadline)
            return false;
        waitForAnExit(pidfds, deadline);
    }
}

} // namespace

bool waitUntilNoProcessesOf(uid_t uid, std::chrono::milliseconds timeout, bool killRemaining)
{
    if (waitUntilGone(uid, Clock::now() + timeout, false))
        return true;
    if (!killRemaining)
        return false;
    spdlog::debug("processes of uid {} are left after {} ms, killing them", uid, timeout.count());
    return waitUntilGone(uid, Clock::now() + std::max(timeout, minimumKillWait), true);
}

} // namespace pactown
