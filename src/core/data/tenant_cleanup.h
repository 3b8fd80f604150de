#pragma once

#include <sys/types.h>

#include <chrono>
#include <filesystem>
#include <vector>

namespace pactown {

// Removes the entries directly inside each of `directories` that uid owns, with everything
// below them, including entries of other owners down there. Top-level entries of other owners
// are left alone. Nothing is followed
// through a symbolic link and no other filesystem is entered. A directory that does not exist
// is skipped. Throws SystemError naming the first entry that could not be removed, after
// trying all of them.
void removeTemporaryFilesOf(uid_t uid, const std::vector<std::filesystem::path>& directories = {
                                           "/tmp", "/var/tmp", "/dev/shm"});

// Removes the System V shared memory segments, semaphore sets and message queues of this IPC
// namespace that uid owns or created (as /proc/sysvipc lists them), and the POSIX message
// queues it owns in /dev/mqueue when an mqueue filesystem is mounted there. POSIX shared memory
// and semaphores are files in /dev/shm, for removeTemporaryFilesOf. Throws SystemError naming
// the first object that could not be removed, after trying all of them.
void removeIpcObjectsOf(uid_t uid);

// Waits until no process has uid as its real, effective, saved or filesystem UID, rescanning
// /proc as processes exit. Zombies do not count: they hold nothing and cannot be killed. With
// killRemaining, processes still there at the timeout get SIGKILL (through a pidfd, so a reused
// PID is never hit) and are waited for up to the same timeout again, or at least one second. Returns whether none is
// left. Throws SystemError when /proc cannot be read.
bool waitUntilNoProcessesOf(uid_t uid, std::chrono::milliseconds timeout, bool killRemaining);

} // namespace pactown
