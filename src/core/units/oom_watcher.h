#pragma once

#include <filesystem>
#include <map>
#include <mutex>
#include <thread>

namespace pactown {

// Notices OOM kills in v1 memory control groups, for hosts where systemd 252 cannot: there it
// reports a run that the kernel's OOM killer ended as ended by SIGKILL.
//
// It registers an eventfd for memory.oom_control through cgroup.event_control. The kernel
// signals that eventfd when the group runs out of memory, before the OOM killer picks a victim,
// and once more when the group is removed. A signal while memory.oom_control can still be read
// is an OOM; the removal makes the file unreadable before its signal. The watch runs on a thread
// of its own, so that an OOM is seen before systemd removes the group of the dead run.
class OomWatcher {
public:
    OomWatcher();
    ~OomWatcher();
    OomWatcher(const OomWatcher&) = delete;
    OomWatcher& operator=(const OomWatcher&) = delete;

    // Starts watching the v1 memory group directory and returns a watch id, or 0 when the group
    // cannot be watched (no such directory, no permission). A group that cannot be watched is
    // logged at debug level, not thrown.
    unsigned watch(const std::filesystem::path& memoryGroup);

    // Stops the watch and returns whether an OOM was seen in the group.
    bool finish(unsigned id);

private:
    struct Watch {
        int eventFd = -1;
        int controlFd = -1; // memory.oom_control, kept open to tell a live group from a removed one
        bool oomSeen = false;
        bool removed = false;
    };

    void run();
    void check(Watch& watch);
    void wake();

    std::mutex mutex_;
    std::map<unsigned, Watch> watches_;
    unsigned nextId_ = 1;
    int wakeFd_ = -1;
    bool stopping_ = false;
    std::thread thread_;
};

} // namespace pactown
