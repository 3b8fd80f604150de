#include "units/cgroup_limits.h"

#include <pactown/errors.h>

#include <cstdlib>
#include <fstream>

#include <gtest/gtest.h>

namespace pactown {
namespace {

namespace fs = std::filesystem;

constexpr const char* unitGroup = "/pactown.slice/pactown-t.slice/pactown-run-t-0123456789abcdef.service";

// A fake cgroup mount root in a temporary directory.
class CgroupLimits : public ::testing::Test {
protected:
    void SetUp() override
    {
        char pattern[] = "/tmp/pactown-cgroup-test-XXXXXX";
        ASSERT_NE(mkdtemp(pattern), nullptr);
        root_ = pattern;
    }

    void TearDown() override { fs::remove_all(root_); }

    void write(const fs::path& relative, const std::string& content)
    {
        fs::create_directories((root_ / relative).parent_path());
        std::ofstream(root_ / relative) << content;
    }

    fs::path unitDirectory(const std::string& hierarchy) const
    {
        return fs::path(hierarchy) / fs::path(unitGroup).relative_path();
    }

    fs::path root_;
};

TEST_F(CgroupLimits, ReadsUnifiedFiles)
{
    write("cgroup.controllers", "cpu memory pids\n");
    write(unitDirectory("") / "cpu.max", "20000 100000\n");
    write(unitDirectory("") / "memory.max", "67108864\n");
    write(unitDirectory("") / "pids.max", "32\n");

    EffectiveLimits limits = readCgroupLimits(root_, unitGroup);

    EXPECT_EQ(detectCgroupLayout(root_), CgroupLayout::Unified);
    EXPECT_EQ(limits.cpuQuotaPercent, 20u);
    EXPECT_EQ(limits.memoryMaxBytes, 67108864u);
    EXPECT_EQ(limits.tasksMax, 32u);
    EXPECT_FALSE(limits.privateNetwork);
}

TEST_F(CgroupLimits, ReadsUnifiedMaxAsNoLimit)
{
    write("cgroup.controllers", "cpu memory pids\n");
    write(unitDirectory("") / "cpu.max", "max 100000\n");
    write(unitDirectory("") / "memory.max", "max\n");
    write(unitDirectory("") / "pids.max", "max\n");

    EffectiveLimits limits = readCgroupLimits(root_, unitGroup);

    EXPECT_EQ(limits.cpuQuotaPercent, std::nullopt);
    EXPECT_EQ(limits.memoryMaxBytes, std::nullopt);
    EXPECT_EQ(limits.tasksMax, std::nullopt);
}

TEST_F(CgroupLimits, ReadsLegacyFiles)
{
    write(unitDirectory("cpu") / "cpu.cfs_quota_us", "150000\n");
    write(unitDirectory("cpu") / "cpu.cfs_period_us", "100000\n");
    write(unitDirectory("memory") / "memory.limit_in_bytes", "67108864\n");
    write(unitDirectory("pids") / "pids.max", "16\n");

    EffectiveLimits limits = readCgroupLimits(root_, unitGroup);

    EXPECT_EQ(detectCgroupLayout(root_), CgroupLayout::Legacy);
    EXPECT_EQ(limits.cpuQuotaPercent, 150u);
    EXPECT_EQ(limits.memoryMaxBytes, 67108864u);
    EXPECT_EQ(limits.tasksMax, 16u);
}

TEST_F(CgroupLimits, ReadsLegacyCombinedCpuHierarchy)
{
    write(unitDirectory("cpu,cpuacct") / "cpu.cfs_quota_us", "5000\n");
    write(unitDirectory("cpu,cpuacct") / "cpu.cfs_period_us", "100000\n");

    EXPECT_EQ(readCgroupLimits(root_, unitGroup).cpuQuotaPercent, 5u);
}

TEST_F(CgroupLimits, ReadsLegacyUnlimitedValuesAsNoLimit)
{
    write(unitDirectory("cpu") / "cpu.cfs_quota_us", "-1\n");
    write(unitDirectory("cpu") / "cpu.cfs_period_us", "100000\n");
    write(unitDirectory("memory") / "memory.limit_in_bytes", "9223372036854771712\n");
    write(unitDirectory("pids") / "pids.max", "max\n");

    EffectiveLimits limits = readCgroupLimits(root_, unitGroup);

    EXPECT_EQ(limits.cpuQuotaPercent, std::nullopt);
    EXPECT_EQ(limits.memoryMaxBytes, std::nullopt);
    EXPECT_EQ(limits.tasksMax, std::nullopt);
}

TEST_F(CgroupLimits, ReadsMissingFilesAsNoLimit)
{
    EffectiveLimits limits = readCgroupLimits(root_, unitGroup);

    EXPECT_EQ(limits.cpuQuotaPercent, std::nullopt);
    EXPECT_EQ(limits.memoryMaxBytes, std::nullopt);
    EXPECT_EQ(limits.tasksMax, std::nullopt);
}

TEST_F(CgroupLimits, RejectsMalformedFile)
{
    write(unitDirectory("pids") / "pids.max", "lots\n");

    EXPECT_THROW(readCgroupLimits(root_, unitGroup), SystemError);
}

TEST_F(CgroupLimits, FindsControlGroupInSystemdOrUnifiedHierarchy)
{
    EXPECT_FALSE(controlGroupExists(root_, unitGroup));

    fs::create_directories(root_ / unitDirectory("unified"));

    EXPECT_TRUE(controlGroupExists(root_, unitGroup));
}

TEST_F(CgroupLimits, ReadsLegacyOomKillCount)
{
    write(unitDirectory("memory") / "memory.oom_control", "oom_kill_disable 0\nunder_oom 0\noom_kill 3\n");

    EXPECT_EQ(readLegacyOomKillCount(root_, unitGroup), 3u);
}

TEST_F(CgroupLimits, OomKillCountUnknownWithoutCounter)
{
    write(unitDirectory("memory") / "memory.oom_control", "oom_kill_disable 0\nunder_oom 0\n");

    EXPECT_EQ(readLegacyOomKillCount(root_, unitGroup), std::nullopt);
    EXPECT_EQ(readLegacyOomKillCount(root_, "/missing.slice"), std::nullopt);
}

EffectiveLimits limitsOf(std::optional<unsigned> cpuQuotaPercent, std::optional<uint64_t> memoryMaxBytes,
                         std::optional<uint64_t> tasksMax)
{
    EffectiveLimits limits;
    limits.cpuQuotaPercent = cpuQuotaPercent;
    limits.memoryMaxBytes = memoryMaxBytes;
    limits.tasksMax = tasksMax;
    return limits;
}

TEST(LimitMismatch, AcceptsMemoryRoundedDownToPages)
{
    EffectiveLimits requested = limitsOf(20, 10000, 8);
    EffectiveLimits actual = limitsOf(20, 8192, 8);

    EXPECT_EQ(findLimitMismatch(requested, actual, 4096), std::nullopt);
}

TEST(LimitMismatch, NamesLimitAndBothValues)
{
    EffectiveLimits requested = limitsOf(std::nullopt, std::nullopt, 8);
    EffectiveLimits actual = limitsOf(std::nullopt, std::nullopt, std::nullopt);

    auto mismatch = findLimitMismatch(requested, actual, 4096);

    ASSERT_TRUE(mismatch.has_value());
    EXPECT_NE(mismatch->find("tasks max"), std::string::npos) << *mismatch;
    EXPECT_NE(mismatch->find("8"), std::string::npos) << *mismatch;
    EXPECT_NE(mismatch->find("no limit"), std::string::npos) << *mismatch;
}

TEST(LimitMismatch, DetectsEveryLimit)
{
    EffectiveLimits requested = limitsOf(20, 1 << 20, 8);

    EXPECT_TRUE(findLimitMismatch(requested, limitsOf(std::nullopt, 1 << 20, 8), 4096));
    EXPECT_TRUE(findLimitMismatch(requested, limitsOf(20, std::nullopt, 8), 4096));
    EXPECT_TRUE(findLimitMismatch(requested, limitsOf(20, 1 << 20, 9), 4096));
}

TEST(LimitMismatch, IgnoresLimitsNotRequested)
{
    EXPECT_EQ(findLimitMismatch({}, limitsOf(5, 4096, 1), 4096), std::nullopt);
}

} // namespace
} // namespace pactown
