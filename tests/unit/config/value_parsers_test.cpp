#include "config/value_parsers.h"

#include <pactown/errors.h>

#include <string>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace pactown {
namespace {

using ::testing::HasSubstr;

template <typename Parse>
std::string errorOf(Parse parse, std::string_view text)
{
    try {
        parse(text);
    } catch (const InvalidArgumentError& error) {
        return error.what();
    }
    return "(no error)";
}

TEST(ParseSizeTest, ReadsBytesAndSuffixes)
{
    EXPECT_EQ(parseSize("1"), 1u);
    EXPECT_EQ(parseSize("1024"), 1024u);
    EXPECT_EQ(parseSize("512B"), 512u);
    EXPECT_EQ(parseSize("1K"), 1024u);
    EXPECT_EQ(parseSize("64M"), 64u << 20);
    EXPECT_EQ(parseSize("2G"), 2ull << 30);
    EXPECT_EQ(parseSize("3T"), 3ull << 40);
    EXPECT_EQ(parseSize("1P"), 1ull << 50);
    EXPECT_EQ(parseSize("15E"), 15ull << 60);
    EXPECT_EQ(parseSize("  8M \t"), 8u << 20);
}

TEST(ParseSizeTest, ReadsDecimalFractions)
{
    EXPECT_EQ(parseSize("1.5G"), 3ull << 29);
    EXPECT_EQ(parseSize("0.5K"), 512u);
    EXPECT_EQ(parseSize("0.1K"), 102u);
    EXPECT_EQ(parseSize("2.25M"), (2u << 20) + (1u << 18));
}

TEST(ParseSizeTest, ReadsInfinityAndEmptyAsNoLimit)
{
    EXPECT_EQ(parseSize("infinity"), std::nullopt);
    EXPECT_EQ(parseSize(""), std::nullopt);
    EXPECT_EQ(parseSize("  "), std::nullopt);
}

TEST(ParseSizeTest, RejectsMalformedSizes)
{
    EXPECT_THAT(errorOf(parseSize, "12Q"), HasSubstr("unknown suffix 'Q'"));
    EXPECT_THAT(errorOf(parseSize, "12m"), HasSubstr("unknown suffix 'm'"));
    EXPECT_THAT(errorOf(parseSize, "12MB"), HasSubstr("unknown suffix 'MB'"));
    EXPECT_THAT(errorOf(parseSize, "-1M"), HasSubstr("expected a number of bytes"));
    EXPECT_THAT(errorOf(parseSize, "M"), HasSubstr("expected a number of bytes"));
    EXPECT_THAT(errorOf(parseSize, "50%"), HasSubstr("unknown suffix '%'"));
    EXPECT_THAT(errorOf(parseSize, "1.M"), HasSubstr("digits after the decimal point"));
    EXPECT_THAT(errorOf(parseSize, "1.5"), HasSubstr("fractions of a byte"));
    EXPECT_THAT(errorOf(parseSize, "0"), HasSubstr("greater than 0"));
    EXPECT_THAT(errorOf(parseSize, "0.0001K"), HasSubstr("greater than 0"));
    EXPECT_THAT(errorOf(parseSize, "16E"), HasSubstr("too large"));
    EXPECT_THAT(errorOf(parseSize, "99999999999999999999"), HasSubstr("too large"));
}

TEST(ParseCpuQuotaTest, ReadsPercentages)
{
    EXPECT_EQ(parseCpuQuota("20%"), 20u);
    EXPECT_EQ(parseCpuQuota("100%"), 100u);
    EXPECT_EQ(parseCpuQuota("150%"), 150u);
    EXPECT_EQ(parseCpuQuota(" 800% "), 800u);
    EXPECT_EQ(parseCpuQuota("infinity"), std::nullopt);
    EXPECT_EQ(parseCpuQuota(""), std::nullopt);
}

TEST(ParseCpuQuotaTest, RejectsMalformedQuotas)
{
    EXPECT_THAT(errorOf(parseCpuQuota, "20"), HasSubstr("expected a percentage"));
    EXPECT_THAT(errorOf(parseCpuQuota, "12.5%"), HasSubstr("fractions of a percent"));
    EXPECT_THAT(errorOf(parseCpuQuota, "%"), HasSubstr("whole number"));
    EXPECT_THAT(errorOf(parseCpuQuota, "-5%"), HasSubstr("whole number"));
    EXPECT_THAT(errorOf(parseCpuQuota, "0%"), HasSubstr("greater than 0%"));
    EXPECT_THAT(errorOf(parseCpuQuota, "4294967296%"), HasSubstr("too large"));
}

TEST(ParseLimitNumberTest, ReadsNumbersAndInfinity)
{
    EXPECT_EQ(parseLimitNumber("1"), 1u);
    EXPECT_EQ(parseLimitNumber("256"), 256u);
    EXPECT_EQ(parseLimitNumber("18446744073709551615"), UINT64_MAX);
    EXPECT_EQ(parseLimitNumber("infinity"), std::nullopt);
    EXPECT_EQ(parseLimitNumber(""), std::nullopt);
}

TEST(ParseLimitNumberTest, RejectsMalformedNumbers)
{
    EXPECT_THAT(errorOf(parseLimitNumber, "0"), HasSubstr("greater than 0"));
    EXPECT_THAT(errorOf(parseLimitNumber, "10%"), HasSubstr("expected a decimal number"));
    EXPECT_THAT(errorOf(parseLimitNumber, "-1"), HasSubstr("expected a decimal number"));
    EXPECT_THAT(errorOf(parseLimitNumber, "1e3"), HasSubstr("expected a decimal number"));
    EXPECT_THAT(errorOf(parseLimitNumber, "18446744073709551616"), HasSubstr("too large"));
}

TEST(ParseBooleanTest, ReadsSystemdWords)
{
    for (std::string_view word : {"1", "yes", "y", "true", "t", "on", "YES", "True", " on "})
        EXPECT_TRUE(parseBoolean(word)) << word;
    for (std::string_view word : {"0", "no", "n", "false", "f", "off", "NO", "Off"})
        EXPECT_FALSE(parseBoolean(word)) << word;
}

TEST(ParseBooleanTest, RejectsOtherWords)
{
    for (std::string_view word : {"", "2", "yess", "enabled", "-1"})
        EXPECT_THAT(errorOf(parseBoolean, word), HasSubstr("expected a boolean")) << word;
}

TEST(ParseAbsolutePathTest, NormalisesPaths)
{
    EXPECT_EQ(parseAbsolutePath("/home/pactown_users"), "/home/pactown_users");
    EXPECT_EQ(parseAbsolutePath("/home//pactown_users/"), "/home/pactown_users");
    EXPECT_EQ(parseAbsolutePath("/srv/./tenants/../pactown"), "/srv/pactown");
    EXPECT_EQ(parseAbsolutePath("/"), "/");
}

TEST(ParseAbsolutePathTest, RejectsRelativeAndEmptyPaths)
{
    EXPECT_THAT(errorOf(parseAbsolutePath, "home/pactown"), HasSubstr("absolute path"));
    EXPECT_THAT(errorOf(parseAbsolutePath, "~/pactown"), HasSubstr("absolute path"));
    EXPECT_THAT(errorOf(parseAbsolutePath, ""), HasSubstr("absolute path"));
    EXPECT_THAT(errorOf(parseAbsolutePath, std::string_view("/a\0b", 4)), HasSubstr("NUL"));
}

TEST(ParseUidTest, ReadsDecimalUids)
{
    EXPECT_EQ(parseUid("0"), 0u);
    EXPECT_EQ(parseUid("65536"), 65536u);
    EXPECT_EQ(parseUid("4294967294"), 4294967294u);
}

TEST(ParseUidTest, RejectsInvalidUids)
{
    EXPECT_THAT(errorOf(parseUid, "4294967295"), HasSubstr("(uid_t) -1"));
    EXPECT_THAT(errorOf(parseUid, "65535"), HasSubstr("(uid_t) -1"));
    EXPECT_THAT(errorOf(parseUid, "99999999999"), HasSubstr("too large"));
    EXPECT_THAT(errorOf(parseUid, "-1"), HasSubstr("decimal UID"));
    EXPECT_THAT(errorOf(parseUid, "0x10000"), HasSubstr("decimal UID"));
    EXPECT_THAT(errorOf(parseUid, ""), HasSubstr("decimal UID"));
}

} // namespace
} // namespace pactown
