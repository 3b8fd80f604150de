#include "units/cgroup_limits.h"

#include <pactown/errors.h>

#include <cerrno>
#include <charconv>
#include <fcntl.h>
#include <unistd.h>

namespace pactown {

namespace fs = std::filesystem;

namespace {

// The v1 memory controller reports "no limit" as its page counter maximum times the page size,
// just below 2^63; any value this large means no limit.
constexpr uint64_t legacyUnlimitedMemory = uint64_t{1} << 62;

fs::path cgroupDirectory(const fs::path& hierarchy, std::string_view controlGroup)
{
    std::string_view relative = controlGroup;
    while (relative.starts_with('/'))
        relative.remove_prefix(1);
    return relative.empty() ? hierarchy : hierarchy / relative;
}

// Returns the first line of the file, nullopt when it does not exist.
std::optional<std::string> readFirstLine(const fs::path& file)
{
    int fd = open(file.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        if (errno == ENOENT || errno == ENOTDIR)
            return std::nullopt;
        throwSystemError("cannot open cgroup file '" + file.string() + "'", errno);
    }

    // Every file read here contains one short line.
    char buffer[128];
    ssize_t size = read(fd, buffer, sizeof buffer);
    int error = errno;
    close(fd);
    if (size < 0)
        throwSystemError("cannot read cgroup file '" + file.string() + "'", error);

    std::string text(buffer, static_cast<size_t>(size));
    return text.substr(0, text.find('\n'));
}

int64_t parseNumber(std::string_view text, const fs::path& file)
{
    int64_t value = 0;
    auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (error != std::errc() || end != text.data() + text.size())
        throw SystemError("cgroup file '" + file.string() + "' contains '" + std::string(text) +
                          "', which is not a number");
    return value;
}

// Reads a file that contains a number or "max".
std::optional<uint64_t> readLimit(const fs::path& file)
{
    auto line = readFirstLine(file);
    if (!line || *line == "max")
        return std::nullopt;
    int64_t value = parseNumber(*line, file);
    if (value < 0)
        return std::nullopt;
    return static_cast<uint64_t>(value);
}

std::optional<unsigned> quotaToPercent(int64_t quota, int64_t period, const fs::path& file)
{
    if (quota < 0)
        return std::nullopt;
    if (period <= 0)
        throw SystemError("cgroup file '" + file.string() + "' contains the CPU period " +
                          std::to_string(period) + ", which is not positive");
    return static_cast<unsigned>((quota * 100 + period / 2) / period);
}

// Parses cpu.max, "max 100000" or "<quota> <period>" in microseconds.
std::optional<unsigned> readUnifiedCpuQuota(const fs::path& file)
{
    auto line = readFirstLine(file);
    if (!line)
        return std::nullopt;
    auto space = line->find(' ');
    if (space == std::string::npos)
        throw SystemError("cgroup file '" + file.string() + "' contains '" + *line + "', expected '<quota> <period>'");
    std::string quota = line->substr(0, space);
    if (quota == "max")
        return std::nullopt;
    return quotaToPercent(parseNumber(quota, file), parseNumber(line->substr(space + 1), file), file);
}

std::optional<unsigned> readLegacyCpuQuota(const fs::path& mountRoot, std::string_view controlGroup)
{
    for (const char* hierarchy : {"cpu", "cpu,cpuacct", "cpuacct,cpu"}) {
        fs::path directory = cgroupDirectory(mountRoot / hierarchy, controlGroup);
        auto quotaLine = readFirstLine(directory / "cpu.cfs_quota_us");
        if (!quotaLine)
            continue;
        int64_t quota = parseNumber(*quotaLine, directory / "cpu.cfs_quota_us");
        auto periodLine = readFirstLine(directory / "cpu.cfs_period_us");
        if (!periodLine)
            throw SystemError("cgroup directory '" + directory.string() + "' has no cpu.cfs_period_us");
        return quotaToPercent(quota, parseNumber(*periodLine, directory / "cpu.cfs_period_us"), directory);
    }
    return std::nullopt;
}

std::optional<uint64_t> readLegacyMemoryMax(const fs::path& file)
{
    auto value = readLimit(file);
    if (value && *value >= legacyUnlimitedMemory)
        return std::nullopt;
    return value;
}

} // namespace

CgroupLayout detectCgroupLayout(const fs::path& mountRoot)
{
    std::error_code error;
    return fs::exists(mountRoot / "cgroup.controllers", error) ? CgroupLayout::Unified : CgroupLayout::Legacy;
}

EffectiveLimits readCgroupLimits(const fs::path& mountRoot, std::string_view controlGroup)
{
    EffectiveLimits limits;
    if (detectCgroupLayout(mountRoot) == CgroupLayout::Unified) {
        fs::path directory = cgroupDirectory(mountRoot, controlGroup);
        limits.cpuQuotaPercent = readUnifiedCpuQuota(directory / "cpu.max");
        limits.memoryMaxBytes = readLimit(directory / "memory.max");
        limits.tasksMax = readLimit(directory / "pids.max");
        return limits;
    }

    limits.cpuQuotaPercent = readLegacyCpuQuota(mountRoot, controlGroup);
    limits.memoryMaxBytes =
        readLegacyMemoryMax(cgroupDirectory(mountRoot / "memory", controlGroup) / "memory.limit_in_bytes");
    limits.tasksMax = readLimit(cgroupDirectory(mountRoot / "pids", controlGroup) / "pids.max");
    return limits;
}

std::optional<uint64_t> readLegacyOomKillCount(const fs::path& mountRoot, std::string_view controlGroup)
{
    fs::path file = cgroupDirectory(mountRoot / "memory", controlGroup) / "memory.oom_control";
    int fd = open(file.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        if (errno == ENOENT || errno == ENOTDIR)
            return std::nullopt;
        throwSystemError("cannot open cgroup file '" + file.string() + "'", errno);
    }
    char buffer[512];
    ssize_t size = read(fd, buffer, sizeof buffer - 1);
    int error = errno;
    close(fd);
    if (size < 0)
        throwSystemError("cannot read cgroup file '" + file.string() + "'", error);

    std::string_view text(buffer, static_cast<size_t>(size));
    constexpr std::string_view key = "oom_kill ";
    size_t start = text.find(key);
    // Kernels before 4.13 do not count OOM kills.
    if (start == std::string_view::npos)
        return std::nullopt;
    start += key.size();
    size_t end = text.find('\n', start);
    return static_cast<uint64_t>(parseNumber(text.substr(start, end - start), file));
}

bool controlGroupExists(const fs::path& mountRoot, std::string_view controlGroup)
{
    std::error_code error;
    if (detectCgroupLayout(mountRoot) == CgroupLayout::Unified)
        return fs::is_directory(cgroupDirectory(mountRoot, controlGroup), error);

    // systemd tracks units in its named hierarchy on legacy hosts and in the v2 one on hybrid hosts.
    return fs::is_directory(cgroupDirectory(mountRoot / "systemd", controlGroup), error) ||
           fs::is_directory(cgroupDirectory(mountRoot / "unified", controlGroup), error);
}

namespace {

std::string describe(const std::optional<uint64_t>& value)
{
    return value ? std::to_string(*value) : std::string("no limit");
}

std::optional<uint64_t> widen(const std::optional<unsigned>& value)
{
    return value ? std::optional<uint64_t>(*value) : std::nullopt;
}

std::string mismatch(const char* limit, const std::optional<uint64_t>& requested,
                     const std::optional<uint64_t>& actual)
{
    return std::string(limit) + " was requested as " + describe(requested) + " but the kernel has " +
           describe(actual);
}

} // namespace

std::optional<std::string> findLimitMismatch(const EffectiveLimits& requested, const EffectiveLimits& actual,
                                             uint64_t pageSize)
{
    if (requested.cpuQuotaPercent && requested.cpuQuotaPercent != actual.cpuQuotaPercent)
        return mismatch("CPU quota (percent)", widen(requested.cpuQuotaPercent), widen(actual.cpuQuotaPercent));

    if (requested.memoryMaxBytes) {
        uint64_t rounded = *requested.memoryMaxBytes / pageSize * pageSize;
        if (actual.memoryMaxBytes != *requested.memoryMaxBytes && actual.memoryMaxBytes != rounded)
            return mismatch("memory max (bytes)", requested.memoryMaxBytes, actual.memoryMaxBytes);
    }

    if (requested.tasksMax && requested.tasksMax != actual.tasksMax)
        return mismatch("tasks max", requested.tasksMax, actual.tasksMax);
    return std::nullopt;
}

} // namespace pactown
