#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>

#include <pactown/run.h>

namespace pactown {

enum class CgroupLayout {
    Unified, // cgroup v2 only: every controller in one hierarchy at the mount root
    Legacy,  // a v1 hierarchy per controller below the mount root (hybrid or legacy host)
};

// Returns Unified when <mountRoot>/cgroup.controllers exists, Legacy otherwise.
CgroupLayout detectCgroupLayout(const std::filesystem::path& mountRoot);

// Reads the CPU quota, memory maximum and task maximum that the kernel holds for a control group.
// controlGroup is systemd's ControlGroup property ("/pactown.slice/x.service"), mountRoot the
// directory where the hierarchies are mounted (/sys/fs/cgroup). On a unified host the v2 files
// cpu.max, memory.max and pids.max are read. On a legacy or hybrid host the v1 files
// cpu.cfs_quota_us with cpu.cfs_period_us, memory.limit_in_bytes and pids.max are read. A limit whose file
// does not exist reads as nullopt, like "max". privateNetwork is always false, because the network
// namespace is not a cgroup setting. Throws SystemError when a file exists but cannot be read or
// parsed.
EffectiveLimits readCgroupLimits(const std::filesystem::path& mountRoot, std::string_view controlGroup);

// Whether the control group still exists, which it stops doing when the unit's last process ends.
bool controlGroupExists(const std::filesystem::path& mountRoot, std::string_view controlGroup);

// Returns the "oom_kill" count of the v1 file memory/<controlGroup>/memory.oom_control: the
// processes that the kernel's OOM killer ended in the group and the groups below it. Returns
// nullopt when the file does not exist. Throws SystemError when it cannot be read or parsed.
std::optional<uint64_t> readLegacyOomKillCount(const std::filesystem::path& mountRoot, std::string_view controlGroup);

// Compares every limit that was requested with what the kernel has and returns a message naming
// the first limit that differs, with both values, or nullopt when all match. The kernel rounds a
// memory maximum down to whole pages, so that rounding counts as a match. Limits not requested
// and privateNetwork are not compared.
std::optional<std::string> findLimitMismatch(const EffectiveLimits& requested, const EffectiveLimits& actual,
                                             uint64_t pageSize);

} // namespace pactown
