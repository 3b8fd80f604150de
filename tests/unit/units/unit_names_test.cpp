#include "units/unit_names.h"

#include <pactown/errors.h>

#include <regex>

#include <gtest/gtest.h>

namespace pactown {
namespace {

TEST(RunUnitName, HasPrefixLinuxNameAndSixteenHexDigits)
{
    std::string name = makeRunUnitName("pactown_1a2b3c4d");

    EXPECT_TRUE(std::regex_match(name, std::regex("pactown-run-pactown_1a2b3c4d-[0-9a-f]{16}\\.service"))) << name;
}

TEST(RunUnitName, DiffersBetweenCalls)
{
    EXPECT_NE(makeRunUnitName("pactown_1a2b3c4d"), makeRunUnitName("pactown_1a2b3c4d"));
}

TEST(RunUnitName, RejectsInvalidLinuxNames)
{
    for (const char* name : {"", "Pactown", "1abc", "a b", "a/b", "a.b", "abcdefghijklmnopqrstuvwxyz0123456"})
        EXPECT_THROW(makeRunUnitName(name), InvalidArgumentError) << "'" << name << "'";
}

TEST(RunUnitName, RoundTripsLinuxNameWithDash)
{
    std::string name = makeRunUnitName("pactown_ab-1");

    EXPECT_EQ(linuxNameOfRunUnit(name), "pactown_ab-1");
    EXPECT_TRUE(isRunUnitName(name));
}

TEST(RunUnitName, RejectsOtherUnits)
{
    for (const char* name : {"sshd.service", "pactown-run-.service", "pactown-run-x-0123.service",
                             "pactown-run-x-0123456789abcdeg.service", "pactown-run-x-0123456789abcdef.scope",
                             "pactown-run-X-0123456789abcdef.service", "pactown-run--0123456789abcdef.service"})
        EXPECT_FALSE(isRunUnitName(name)) << name;
    EXPECT_TRUE(isRunUnitName("pactown-run-x-0123456789abcdef.service"));
}

TEST(TenantSlice, IsChildOfPactownSlice)
{
    EXPECT_EQ(tenantSliceName("pactown_1a2b3c4d"), "pactown-pactown_1a2b3c4d.slice");
}

TEST(TenantSlice, EscapesDashSoItStaysOneLevel)
{
    EXPECT_EQ(tenantSliceName("pactown_ab-1"), "pactown-pactown_ab\\x2d1.slice");
}

TEST(TenantSlice, RejectsInvalidLinuxName)
{
    EXPECT_THROW(tenantSliceName("a.b"), InvalidArgumentError);
}

TEST(UnitObjectPath, EscapesLikeSystemd)
{
    EXPECT_EQ(unitObjectPath("pactown-run-a_b.service"),
              "/org/freedesktop/systemd1/unit/pactown_2drun_2da_5fb_2eservice");
}

} // namespace
} // namespace pactown
