#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include <pactown/isolated_user.h>

namespace pactown {

// Disk usage of a directory tree as allocated on disk: each inode counted once, symlinks not
// followed, other filesystems not entered.
struct DiskUsage {
    uint64_t allocatedBytes = 0; // st_blocks * 512
    uint64_t apparentBytes = 0;  // st_size
    uint64_t files = 0;
    uint64_t directories = 0;
    // Paths, relative to the measured root, that could not be read; their contents are not counted.
    std::vector<std::string> unreadable;
};

// Live figures of the tenant's running units, summed, as systemd reports them.
struct RunUsage {
    unsigned activeRuns = 0;
    uint64_t memoryBytes = 0;
    uint64_t cpuTimeNanoseconds = 0;
    uint64_t tasks = 0;
};

struct UserStats {
    IsolatedUser user;
    unsigned sandboxCount = 0;
    DiskUsage disk;
    RunUsage runs;

    // The reference's shape ("user", "sandbox_count", "total_size_mb") plus "disk" and "runs".
    nlohmann::json toJson() const;
};

} // namespace pactown
