#include <pactown/isolated_user.h>
#include <pactown/stats.h>

#include <cmath>

#include <nlohmann/json.hpp>

namespace pactown {

const char* toString(AccountMode mode)
{
    return mode == AccountMode::System ? "system" : "virtual";
}

nlohmann::json IsolatedUser::toJson() const
{
    return {
        {"saas_user_id", saasUserId},
        {"linux_username", linuxUsername},
        {"linux_uid", linuxUid},
        {"linux_gid", linuxGid},
        {"home_dir", homeDir.string()},
        {"created_at", createdAt},
        {"mode", toString(mode)},
    };
}

nlohmann::json UserStats::toJson() const
{
    // The reference reports megabytes with one decimal.
    double megabytes = std::round(static_cast<double>(disk.allocatedBytes) / (1024.0 * 1024.0) * 10.0) / 10.0;
    return {
        {"user", {{"saas_user_id", user.saasUserId}, {"linux_username", user.linuxUsername}}},
        {"sandbox_count", sandboxCount},
        {"total_size_mb", megabytes},
        {"disk",
         {{"allocated_bytes", disk.allocatedBytes},
          {"apparent_bytes", disk.apparentBytes},
          {"files", disk.files},
          {"directories", disk.directories},
          {"unreadable", disk.unreadable}}},
        {"runs",
         {{"active", runs.activeRuns},
          {"memory_bytes", runs.memoryBytes},
          {"cpu_time_ns", runs.cpuTimeNanoseconds},
          {"tasks", runs.tasks}}},
    };
}

} // namespace pactown
