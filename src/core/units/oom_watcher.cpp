#include "units/oom_watcher.h"

#include <pactown/errors.h>

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <poll.h>
#include <string>
#include <string_view>
#include <sys/eventfd.h>
#include <unistd.h>
#include <vector>

#include <spdlog/spdlog.h>

namespace pactown {

namespace {

void closeWatch(int& fd)
{
    if (fd >= 0)
        close(fd);
    fd = -1;
}

} // namespace

OomWatcher::OomWatcher()
{
    wakeFd_ = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    if (wakeFd_ < 0)
        throwSystemError("cannot create an eventfd for OOM notifications", errno);
    thread_ = std::thread([this] { run(); });
}

OomWatcher::~OomWatcher()
{
    {
        std::lock_guard lock(mutex_);
        stopping_ = true;
    }
    wake();
    thread_.join();
    for (auto& [id, watch] : watches_) {
        closeWatch(watch.eventFd);
        closeWatch(watch.controlFd);
    }
    close(wakeFd_);
}

unsigned OomWatcher::watch(const std::filesystem::path& memoryGroup)
{
    Watch watch;
    watch.controlFd = open((memoryGroup / "memory.oom_control").c_str(), O_RDONLY | O_CLOEXEC);
    watch.eventFd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    int eventControl = open((memoryGroup / "cgroup.event_control").c_str(), O_WRONLY | O_CLOEXEC);
    std::string registration = std::to_string(watch.eventFd) + " " + std::to_string(watch.controlFd);
    bool registered = watch.controlFd >= 0 && watch.eventFd >= 0 && eventControl >= 0 &&
                      write(eventControl, registration.data(), registration.size()) ==
                          static_cast<ssize_t>(registration.size());
    int error = errno;
    if (eventControl >= 0)
        close(eventControl);
    if (!registered) {
        spdlog::debug("cannot watch memory group '{}' for OOM kills, ignoring: {}", memoryGroup.string(),
                      std::strerror(error));
        closeWatch(watch.eventFd);
        closeWatch(watch.controlFd);
        return 0;
    }

    // An OOM before the registration shows only in the count, while the group exists.
    char buffer[256];
    ssize_t size = pread(watch.controlFd, buffer, sizeof buffer - 1, 0);
    if (size > 0) {
        std::string_view text(buffer, static_cast<size_t>(size));
        auto start = text.find("oom_kill ");
        watch.oomSeen = start != std::string_view::npos && text.substr(start + 9, 1) != "0";
    }

    unsigned id;
    {
        std::lock_guard lock(mutex_);
        id = nextId_++;
        watches_.emplace(id, watch);
    }
    wake();
    return id;
}

bool OomWatcher::finish(unsigned id)
{
    std::lock_guard lock(mutex_);
    auto found = watches_.find(id);
    if (found == watches_.end())
        return false;
    Watch& watch = found->second;
    check(watch);
    bool oomSeen = watch.oomSeen;
    closeWatch(watch.eventFd);
    closeWatch(watch.controlFd);
    watches_.erase(found);
    wake();
    return oomSeen;
}

// Reads the notifications that arrived; the caller holds mutex_.
void OomWatcher::check(Watch& watch)
{
    uint64_t count = 0;
    if (watch.removed || read(watch.eventFd, &count, sizeof count) != sizeof count)
        return;

    char buffer[256];
    if (pread(watch.controlFd, buffer, sizeof buffer, 0) >= 0) {
        watch.oomSeen = true;
        return;
    }
    // The group is gone. One notification may be the removal alone; two or more include an OOM
    // that came just before the removal.
    watch.removed = true;
    if (count >= 2)
        watch.oomSeen = true;
}

void OomWatcher::wake()
{
    uint64_t one = 1;
    if (write(wakeFd_, &one, sizeof one) < 0)
        spdlog::debug("cannot wake the OOM watcher, ignoring: {}", std::strerror(errno));
}

void OomWatcher::run()
{
    while (true) {
        std::vector<pollfd> fds{{wakeFd_, POLLIN, 0}};
        std::vector<unsigned> ids{0};
        {
            std::lock_guard lock(mutex_);
            if (stopping_)
                return;
            for (const auto& [id, watch] : watches_) {
                if (watch.removed)
                    continue;
                fds.push_back({watch.eventFd, POLLIN, 0});
                ids.push_back(id);
            }
        }

        if (poll(fds.data(), fds.size(), -1) < 0 && errno != EINTR)
            return;

        uint64_t count;
        if (read(wakeFd_, &count, sizeof count) < 0 && errno != EAGAIN)
            return;
        std::lock_guard lock(mutex_);
        for (size_t i = 1; i < fds.size(); ++i) {
            auto found = watches_.find(ids[i]);
            if ((fds[i].revents & POLLIN) && found != watches_.end())
                check(found->second);
        }
    }
}

} // namespace pactown
